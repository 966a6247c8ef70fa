"""Messages of the admin console's operations: the write-back log, bulk re-write, model quality."""

from __future__ import annotations

from typing import Literal

ADMIN_OPS_MESSAGES: dict[str, dict[Literal["en", "de"], str]] = {
    # the write-back log
    "log_title": {"en": "Write-back log", "de": "Rückschreibprotokoll"},
    "log_level": {"en": "Level", "de": "Stufe"},
    "log_level_info": {"en": "Information", "de": "Information"},
    "log_level_warning": {"en": "Warning", "de": "Warnung"},
    "log_level_error": {"en": "Error", "de": "Fehler"},
    "log_since": {"en": "From", "de": "Von"},
    "log_until": {"en": "To", "de": "Bis"},
    "log_user": {"en": "User (object id)", "de": "Benutzer (Objekt-ID)"},
    "log_opportunity": {"en": "Opportunity", "de": "Verkaufschance"},
    "log_what": {"en": "What happened", "de": "Was geschah"},
    "log_filter": {"en": "Filter", "de": "Filtern"},
    "log_csv": {"en": "Download CSV", "de": "CSV herunterladen"},
    "log_empty": {"en": "No entries.", "de": "Keine Einträge."},
    "log_older": {"en": "Older entries", "de": "Ältere Einträge"},
    "log_retry": {"en": "Retry now", "de": "Jetzt erneut versuchen"},
    "log_retention": {"en": "Retention", "de": "Aufbewahrung"},
    "log_retention_days": {
        "en": "Keep entries for (days)",
        "de": "Einträge aufbewahren (Tage)",
    },
    "log_written": {
        "en": "{value} written to “{column}”.",
        "de": "{value} in „{column}“ geschrieben.",
    },
    "log_retried": {
        "en": "{value} written to “{column}” by a background retry (attempt {attempt}).",
        "de": "{value} durch einen Hintergrundversuch in „{column}“ geschrieben (Versuch {attempt}).",
    },
    "log_unchanged": {
        "en": "“{column}” already held {value}: nothing written.",
        "de": "„{column}“ enthielt bereits {value}: nichts geschrieben.",
    },
    "log_skipped_closed": {
        "en": "Closed opportunity: {value} not written (policy).",
        "de": "Geschlossene Verkaufschance: {value} nicht geschrieben (Richtlinie).",
    },
    "log_superseded": {
        "en": "A newer evaluation came first: not written.",
        "de": "Eine neuere Bewertung kam zuvor: nicht geschrieben.",
    },
    "log_queued": {
        "en": "Not written yet, queued for a background retry: {reason}",
        "de": "Noch nicht geschrieben, für einen Hintergrundversuch vorgemerkt: {reason}",
    },
    "log_no_privilege": {
        "en": "Dynamics 365 refused: no privilege. {reason}",
        "de": "Dynamics 365 hat abgelehnt: keine Berechtigung. {reason}",
    },
    "log_secured": {
        "en": "Field security blocks “{column}” for this user.",
        "de": "Feldsicherheit sperrt „{column}“ für diesen Benutzer.",
    },
    "log_failed": {"en": "Not written: {reason}", "de": "Nicht geschrieben: {reason}"},
    "log_settings_saved": {
        "en": "Settings saved: target field {field_before} → {field_after}, closed opportunities {policy_before} → {policy_after}.",
        "de": "Einstellungen gespeichert: Zielfeld {field_before} → {field_after}, geschlossene Verkaufschancen {policy_before} → {policy_after}.",
    },
    "log_solution_published": {
        "en": "Solution {solution} version {version} published.",
        "de": "Lösung {solution} Version {version} veröffentlicht.",
    },
    "log_project_moved": {
        "en": "Project moved from {solution} version {from} to {to}.",
        "de": "Projekt von {solution} Version {from} auf {to} verschoben.",
    },
    "log_bulk_started": {
        "en": "Bulk re-write to “{column}” started for {total} projects.",
        "de": "Massen-Rückschreiben in „{column}“ für {total} Projekte gestartet.",
    },
    "log_bulk_batch": {
        "en": "Bulk re-write: {written} written, {unchanged} unchanged, {skipped_closed} closed, {not_visible} not visible, {failed} failed.",
        "de": "Massen-Rückschreiben: {written} geschrieben, {unchanged} unverändert, {skipped_closed} geschlossen, {not_visible} nicht sichtbar, {failed} fehlgeschlagen.",
    },
    "log_bulk_interrupted": {
        "en": "Bulk re-write interrupted: {reason} It can be continued.",
        "de": "Massen-Rückschreiben unterbrochen: {reason} Es kann fortgesetzt werden.",
    },
    "log_bulk_finished": {
        "en": "Bulk re-write finished: {written} written, {unchanged} unchanged, {skipped_closed} closed, {not_visible} not visible, {failed} failed.",
        "de": "Massen-Rückschreiben beendet: {written} geschrieben, {unchanged} unverändert, {skipped_closed} geschlossen, {not_visible} nicht sichtbar, {failed} fehlgeschlagen.",
    },
    "log_bulk_record_failed": {
        "en": "Bulk re-write: {value} not written to “{column}”: {reason}",
        "de": "Massen-Rückschreiben: {value} nicht in „{column}“ geschrieben: {reason}",
    },
    "log_health_failed": {
        "en": "Health check failed: {check}.",
        "de": "Zustandsprüfung fehlgeschlagen: {check}.",
    },
    "log_health_recovered": {
        "en": "Health check passes again: {check}.",
        "de": "Zustandsprüfung wieder bestanden: {check}.",
    },
    "log_retention_changed": {
        "en": "Log retention changed from {before} to {after} days.",
        "de": "Protokollaufbewahrung von {before} auf {after} Tage geändert.",
    },
    "retry_written": {"en": "Written to Dynamics 365.", "de": "In Dynamics 365 geschrieben."},
    "retry_settled": {
        "en": "Done: see the newest log entry for the outcome.",
        "de": "Erledigt: das Ergebnis steht im neuesten Protokolleintrag.",
    },
    "retry_retrying": {
        "en": "Still not possible; the background keeps trying.",
        "de": "Noch nicht möglich; der Hintergrund versucht es weiter.",
    },
    "retry_dropped": {
        "en": "Nothing to write any more (a newer evaluation exists).",
        "de": "Nichts mehr zu schreiben (es gibt eine neuere Bewertung).",
    },
    "csv_time": {"en": "Time (UTC)", "de": "Zeit (UTC)"},
    "csv_level": {"en": "Level", "de": "Stufe"},
    "csv_event": {"en": "What happened", "de": "Was geschah"},
    "csv_code": {"en": "Code", "de": "Code"},
    "csv_opportunity": {"en": "Opportunity id", "de": "Verkaufschancen-ID"},
    "csv_project": {"en": "Project", "de": "Projekt"},
    "csv_user": {"en": "User (object id)", "de": "Benutzer (Objekt-ID)"},
    "csv_column": {"en": "Field", "de": "Feld"},
    "csv_value": {"en": "Value", "de": "Wert"},
    # bulk re-write
    "bulk_title": {"en": "Bulk re-write", "de": "Massen-Rückschreiben"},
    "bulk_intro": {
        "en": "Copies every project's current probability into the target field “{field}”, as you, with as few requests as possible (Dynamics 365's UpdateMultiple). Closed opportunities follow the org's policy; values already there are not written again. It can be interrupted and continued.",
        "de": "Überträgt die aktuelle Wahrscheinlichkeit jedes Projekts in das Zielfeld „{field}“, in Ihrem Namen, mit möglichst wenigen Anfragen (UpdateMultiple von Dynamics 365). Geschlossene Verkaufschancen folgen der Richtlinie; bereits vorhandene Werte werden nicht erneut geschrieben. Es kann unterbrochen und fortgesetzt werden.",
    },
    "bulk_none": {"en": "No bulk re-write yet.", "de": "Noch kein Massen-Rückschreiben."},
    "bulk_start": {
        "en": "Copy current probabilities to “{field}”",
        "de": "Aktuelle Wahrscheinlichkeiten nach „{field}“ übertragen",
    },
    "bulk_confirm": {
        "en": "Write the current probability of every project into “{field}” now?",
        "de": "Jetzt die aktuelle Wahrscheinlichkeit jedes Projekts in „{field}“ schreiben?",
    },
    "bulk_continue": {"en": "Continue", "de": "Fortsetzen"},
    "bulk_status_running": {
        "en": "In progress: {done} of {total} projects done.",
        "de": "Läuft: {done} von {total} Projekten erledigt.",
    },
    "bulk_status_interrupted": {
        "en": "Interrupted after {done} of {total} projects: {reason} Continue when Dynamics 365 is available again.",
        "de": "Unterbrochen nach {done} von {total} Projekten: {reason} Setzen Sie fort, wenn Dynamics 365 wieder verfügbar ist.",
    },
    "bulk_status_finished": {
        "en": "Finished: {done} of {total} projects into “{column}”.",
        "de": "Beendet: {done} von {total} Projekten in „{column}“.",
    },
    "bulk_count_written": {"en": "Written", "de": "Geschrieben"},
    "bulk_count_unchanged": {"en": "Already there", "de": "Bereits vorhanden"},
    "bulk_count_skipped_closed": {"en": "Closed (skipped)", "de": "Geschlossen (übersprungen)"},
    "bulk_count_not_visible": {"en": "Not visible to you", "de": "Für Sie nicht sichtbar"},
    "bulk_count_failed": {"en": "Refused", "de": "Abgelehnt"},
    # model quality
    "quality_title": {"en": "Model quality", "de": "Modellqualität"},
    "quality_summary": {
        "en": "Based on {deals} closed deal(s) with a cockpit project, read live from Dynamics 365 as you ({after} evaluated only after closing are not counted).",
        "de": "Grundlage: {deals} abgeschlossene(s) Geschäft(e) mit Cockpit-Projekt, live aus Dynamics 365 in Ihrem Namen gelesen ({after} erst nach Abschluss bewertete werden nicht gezählt).",
    },
    "quality_no_close_dates": {
        "en": "Dynamics 365 has no close dates here: the newest evaluation of each deal counts.",
        "de": "Dynamics 365 liefert hier keine Abschlussdaten: Es zählt die neueste Bewertung jedes Geschäfts.",
    },
    "quality_explain": {
        "en": "Each deal counts with its last evaluation before it closed. Nothing about the outcome is stored.",
        "de": "Jedes Geschäft zählt mit seiner letzten Bewertung vor dem Abschluss. Über das Ergebnis wird nichts gespeichert.",
    },
    "quality_empty": {
        "en": "No closed deal with a cockpit project yet. The report appears with the first one.",
        "de": "Noch kein abgeschlossenes Geschäft mit Cockpit-Projekt. Der Bericht erscheint mit dem ersten.",
    },
    "quality_rests_on": {
        "en": "Rests on {deals} closed deal(s): {won} won, {lost} lost.",
        "de": "Beruht auf {deals} abgeschlossenen Geschäft(en): {won} gewonnen, {lost} verloren.",
    },
    "quality_brier": {"en": "Brier score", "de": "Brier-Score"},
    "quality_brier_explain": {
        "en": "The mean squared difference between the predicted probability and the outcome: 0 is perfect, always saying 50 % gives 0.25.",
        "de": "Die mittlere quadratische Abweichung zwischen vorhergesagter Wahrscheinlichkeit und Ergebnis: 0 ist perfekt, immer 50 % ergibt 0,25.",
    },
    "quality_calibration": {"en": "Calibration", "de": "Kalibrierung"},
    "quality_calibration_desc": {
        "en": "Predicted probability against the share of deals actually won, per band of ten points; the dashed diagonal is a perfect model.",
        "de": "Vorhergesagte Wahrscheinlichkeit gegen den tatsächlich gewonnenen Anteil, je Band von zehn Punkten; die gestrichelte Diagonale ist ein perfektes Modell.",
    },
    "quality_calibration_caption": {
        "en": "Dots above the diagonal: more won than predicted; below: fewer. Larger dots rest on more deals.",
        "de": "Punkte über der Diagonale: mehr gewonnen als vorhergesagt; darunter: weniger. Größere Punkte beruhen auf mehr Geschäften.",
    },
    "quality_point": {
        "en": "{deals} deal(s), predicted {predicted}, won {won}",
        "de": "{deals} Geschäft(e), vorhergesagt {predicted}, gewonnen {won}",
    },
    "quality_axis_predicted": {
        "en": "Predicted probability",
        "de": "Vorhergesagte Wahrscheinlichkeit",
    },
    "quality_axis_won": {"en": "Share won", "de": "Gewonnener Anteil"},
    "quality_band": {"en": "Band", "de": "Band"},
    "quality_deals": {"en": "Deals", "de": "Geschäfte"},
    "quality_mean_predicted": {"en": "Mean predicted", "de": "Mittlere Vorhersage"},
    "quality_won_share": {"en": "Won", "de": "Gewonnen"},
    "quality_separating": {
        "en": "Criteria that separate won from lost",
        "de": "Kriterien, die Gewinn und Verlust trennen",
    },
    "quality_separating_none": {
        "en": "Needs at least one won and one lost deal.",
        "de": "Braucht mindestens ein gewonnenes und ein verlorenes Geschäft.",
    },
    "quality_separation_points": {
        "en": "answers scored {points} points higher on won deals",
        "de": "Antworten bei gewonnenen Geschäften {points} Punkte höher",
    },
    "quality_separation_unknown": {"en": "not known yet", "de": "noch unbekannt"},
    "quality_answers": {"en": "Win rate per answer", "de": "Gewinnquote je Antwort"},
    "quality_win_rate": {"en": "Win rate", "de": "Gewinnquote"},
    "quality_always_won": {"en": "always won", "de": "immer gewonnen"},
    "quality_always_lost": {"en": "always lost", "de": "immer verloren"},
    "quality_weights": {"en": "Suggested re-weighting", "de": "Vorgeschlagene Neugewichtung"},
    "quality_weights_explain": {
        "en": "Each weight times (1 + correlation of the criterion's score with winning × n/(n+10)); the total stays the same. Few deals change little.",
        "de": "Jede Gewichtung mal (1 + Korrelation der Punkte des Kriteriums mit dem Gewinn × n/(n+10)); die Summe bleibt gleich. Wenige Geschäfte ändern wenig.",
    },
    "quality_weight_now": {"en": "Weight now", "de": "Gewichtung jetzt"},
    "quality_weight_suggested": {"en": "Suggested", "de": "Vorschlag"},
    "quality_open_draft": {"en": "Open as a new draft", "de": "Als neuen Entwurf öffnen"},
    "model_updated": {
        "en": "Model updated: this project now uses version {version} (was {previous}). Answers that still apply were kept and the probability recalculated.",
        "de": "Modell aktualisiert: Dieses Projekt verwendet jetzt Version {version} (vorher {previous}). Weiterhin passende Antworten wurden übernommen und die Wahrscheinlichkeit neu berechnet.",
    },
}
