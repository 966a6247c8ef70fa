"""Messages of the admin console: navigation, solutions, the designer, moving projects."""

from __future__ import annotations

from typing import Literal

ADMIN_MESSAGES: dict[str, dict[Literal["en", "de"], str]] = {
    # navigation and shared words
    "admin_nav_settings": {"en": "Target field", "de": "Zielfeld"},
    "admin_nav_solutions": {"en": "Solutions", "de": "Lösungen"},
    "admin_nav_health": {"en": "Health", "de": "Zustand"},
    "admin_nav_log": {"en": "Write-back log", "de": "Rückschreibprotokoll"},
    "admin_nav_bulk": {"en": "Bulk re-write", "de": "Massen-Rückschreiben"},
    "admin_nav_quality": {"en": "Model quality", "de": "Modellqualität"},
    "admin_org_choose": {"en": "Organisation", "de": "Organisation"},
    "admin_org_show": {"en": "Show", "de": "Anzeigen"},
    "admin_bulk_hint": {
        "en": "Changed the field? Copy the current probabilities of all projects into it:",
        "de": "Feld geändert? Übertragen Sie die aktuellen Wahrscheinlichkeiten aller Projekte in das neue Feld:",
    },
    "admin_bulk_link": {"en": "Bulk re-write", "de": "Massen-Rückschreiben"},
    "language_en": {"en": "English", "de": "Englisch"},
    "language_de": {"en": "German", "de": "Deutsch"},
    "designer_colour_green": {"en": "green", "de": "grün"},
    "designer_colour_amber": {"en": "amber", "de": "gelb"},
    "designer_colour_red": {"en": "red", "de": "rot"},
    # solutions
    "solutions_title": {"en": "Solutions", "de": "Lösungen"},
    "solutions_id": {"en": "Solution id", "de": "Lösungs-ID"},
    "solutions_versions": {"en": "Versions", "de": "Versionen"},
    "solutions_draft": {"en": "Draft", "de": "Entwurf"},
    "solutions_version": {"en": "version {version}", "de": "Version {version}"},
    "solutions_builtin": {"en": "built in", "de": "mitgeliefert"},
    "solutions_published_by": {
        "en": "published by {who} on {when}",
        "de": "veröffentlicht von {who} am {when}",
    },
    "solutions_edit_draft": {"en": "Edit draft", "de": "Entwurf bearbeiten"},
    "solutions_new_draft_from": {
        "en": "New draft from version {version}",
        "de": "Neuer Entwurf aus Version {version}",
    },
    "solutions_new": {"en": "New solution", "de": "Neue Lösung"},
    "solutions_create": {"en": "Create draft", "de": "Entwurf anlegen"},
    "solutions_import": {"en": "Import", "de": "Importieren"},
    "solutions_import_file": {"en": "JSON file", "de": "JSON-Datei"},
    "solutions_import_button": {"en": "Import as draft", "de": "Als Entwurf importieren"},
    "version_export": {"en": "Export as JSON", "de": "Als JSON exportieren"},
    "version_translated": {"en": "with texts in {language}", "de": "mit Texten auf {language}"},
    "version_band_from": {"en": "from {value}", "de": "ab {value}"},
    # the designer
    "designer_title": {"en": "Draft of {id}", "de": "Entwurf von {id}"},
    "designer_based_on": {
        "en": "Based on version {version}",
        "de": "Basiert auf Version {version}",
    },
    "designer_new": {"en": "A new solution", "de": "Eine neue Lösung"},
    "designer_saved_by": {"en": "last saved by {who}", "de": "zuletzt gespeichert von {who}"},
    "designer_problems": {
        "en": "{count} problem(s) to fix before publishing.",
        "de": "{count} Problem(e) vor dem Veröffentlichen zu beheben.",
    },
    "designer_no_problems": {"en": "Ready to publish.", "de": "Bereit zur Veröffentlichung."},
    "designer_warnings": {
        "en": "{count} hint(s), e.g. missing translations.",
        "de": "{count} Hinweis(e), z. B. fehlende Übersetzungen.",
    },
    "designer_primary_language": {
        "en": "Language of the published version",
        "de": "Sprache der veröffentlichten Version",
    },
    "designer_name": {"en": "Name", "de": "Name"},
    "designer_description": {"en": "Description", "de": "Beschreibung"},
    "designer_criteria": {"en": "Criteria", "de": "Kriterien"},
    "designer_criterion": {"en": "Criterion {number}", "de": "Kriterium {number}"},
    "designer_id": {"en": "Id", "de": "ID"},
    "designer_question": {"en": "Question", "de": "Frage"},
    "designer_guidance": {"en": "Guidance for the rep", "de": "Hinweis für den Vertrieb"},
    "designer_options": {"en": "Answers", "de": "Antworten"},
    "designer_label": {"en": "Answer", "de": "Antwort"},
    "designer_score": {"en": "Score (0–100)", "de": "Punkte (0–100)"},
    "designer_colour": {"en": "Colour", "de": "Farbe"},
    "designer_cap": {"en": "Knock-out cap", "de": "K.-o.-Obergrenze"},
    "designer_cap_short": {"en": "caps at {cap} %", "de": "begrenzt auf {cap} %"},
    "designer_remove": {"en": "Remove", "de": "Entfernen"},
    "designer_move_up": {"en": "Move up", "de": "Nach oben"},
    "designer_move_down": {"en": "Move down", "de": "Nach unten"},
    "designer_add_option": {"en": "Add answer", "de": "Antwort hinzufügen"},
    "designer_add_criterion": {"en": "Add criterion", "de": "Kriterium hinzufügen"},
    "designer_bands": {"en": "Grade bands", "de": "Bewertungsstufen"},
    "designer_bands_intro": {
        "en": "Optional: a grade for probabilities from a lower bound up to the next band (the first starts at 0 %).",
        "de": "Optional: eine Stufe für Wahrscheinlichkeiten ab einer Untergrenze bis zur nächsten Stufe (die erste beginnt bei 0 %).",
    },
    "designer_band_from": {"en": "From (%)", "de": "Ab (%)"},
    "designer_add_band": {"en": "Add band", "de": "Stufe hinzufügen"},
    "designer_save": {"en": "Save draft", "de": "Entwurf speichern"},
    "designer_saved": {"en": "Saved.", "de": "Gespeichert."},
    "designer_publish": {"en": "Publish", "de": "Veröffentlichen"},
    "designer_publish_confirm": {
        "en": "Publish this draft as the next version? Published versions cannot be changed.",
        "de": "Diesen Entwurf als nächste Version veröffentlichen? Veröffentlichte Versionen können nicht geändert werden.",
    },
    "designer_export": {"en": "Export draft", "de": "Entwurf exportieren"},
    "designer_delete": {"en": "Discard draft", "de": "Entwurf verwerfen"},
    "designer_delete_confirm": {
        "en": "Discard this draft? Published versions stay as they are.",
        "de": "Diesen Entwurf verwerfen? Veröffentlichte Versionen bleiben unverändert.",
    },
    "designer_preview": {"en": "Preview", "de": "Vorschau"},
    "designer_preview_intro": {
        "en": "Click answers: the probability is computed exactly as for reps.",
        "de": "Klicken Sie Antworten an: Die Wahrscheinlichkeit wird genau wie für den Vertrieb berechnet.",
    },
    "designer_preview_blocked": {
        "en": "Fix the weights, scores and ids marked in red to see the probability.",
        "de": "Beheben Sie die rot markierten Gewichtungen, Punkte und IDs, um die Wahrscheinlichkeit zu sehen.",
    },
    "designer_knockout_active": {
        "en": "A knock-out answer caps the probability at {cap} %.",
        "de": "Eine K.-o.-Antwort begrenzt die Wahrscheinlichkeit auf {cap} %.",
    },
    # draft problems (next to their field)
    "problem_id_required": {"en": "An id is required.", "de": "Eine ID ist erforderlich."},
    "problem_id_format": {
        "en": "Use lowercase letters, digits, '-', '_' and '.' (at most 64 characters).",
        "de": "Verwenden Sie Kleinbuchstaben, Ziffern, '-', '_' und '.' (höchstens 64 Zeichen).",
    },
    "problem_id_duplicate": {
        "en": "This id is already used by number {other}.",
        "de": "Diese ID wird bereits von Nummer {other} verwendet.",
    },
    "problem_text_required": {
        "en": "This text is required.",
        "de": "Dieser Text ist erforderlich.",
    },
    "problem_text_too_long": {
        "en": "At most {max} characters.",
        "de": "Höchstens {max} Zeichen.",
    },
    "problem_translation_missing": {
        "en": "Translation missing: readers of the other language see the original.",
        "de": "Übersetzung fehlt: Leser der anderen Sprache sehen den Originaltext.",
    },
    "problem_criteria_missing": {
        "en": "Add at least one criterion.",
        "de": "Fügen Sie mindestens ein Kriterium hinzu.",
    },
    "problem_too_many_criteria": {
        "en": "At most {max} criteria.",
        "de": "Höchstens {max} Kriterien.",
    },
    "problem_weight_required": {
        "en": "Enter a weight.",
        "de": "Geben Sie eine Gewichtung ein.",
    },
    "problem_weight_range": {
        "en": "The weight must be above 0 and at most {max}.",
        "de": "Die Gewichtung muss größer als 0 und höchstens {max} sein.",
    },
    "problem_weight_places": {
        "en": "At most {places} decimal places.",
        "de": "Höchstens {places} Nachkommastellen.",
    },
    "problem_too_few_options": {
        "en": "A criterion needs at least {min} answers.",
        "de": "Ein Kriterium braucht mindestens {min} Antworten.",
    },
    "problem_too_many_options": {
        "en": "At most {max} answers.",
        "de": "Höchstens {max} Antworten.",
    },
    "problem_needs_uncapped_option": {
        "en": "At least one answer must not be a knock-out.",
        "de": "Mindestens eine Antwort darf kein K.-o.-Kriterium sein.",
    },
    "problem_score_required": {"en": "Enter a score.", "de": "Geben Sie Punkte ein."},
    "problem_percent_range": {
        "en": "Between 0 and 100.",
        "de": "Zwischen 0 und 100.",
    },
    "problem_cap_range": {
        "en": "A knock-out cap is between 0 and 99 (empty: no knock-out).",
        "de": "Eine K.-o.-Obergrenze liegt zwischen 0 und 99 (leer: kein K.-o.).",
    },
    "problem_cap_below_score": {
        "en": "The cap ({cap}) is below the answer's own score ({score}).",
        "de": "Die Obergrenze ({cap}) liegt unter den Punkten der Antwort ({score}).",
    },
    "problem_knockout_not_red": {
        "en": "A knock-out answer must be red.",
        "de": "Eine K.-o.-Antwort muss rot sein.",
    },
    "problem_too_many_bands": {"en": "At most {max} bands.", "de": "Höchstens {max} Stufen."},
    "problem_duplicate_band": {
        "en": "Band {other} starts at the same value.",
        "de": "Stufe {other} beginnt beim selben Wert.",
    },
    "problem_bands_start_at_zero": {
        "en": "The first band must start at 0 %.",
        "de": "Die erste Stufe muss bei 0 % beginnen.",
    },
    # errors of the admin console (codes of the error tree)
    "draft_not_found": {
        "en": "There is no draft of this solution. Start one from a version.",
        "de": "Es gibt keinen Entwurf dieser Lösung. Beginnen Sie einen aus einer Version.",
    },
    "draft_invalid": {
        "en": "The draft still has {count} problem(s); each is shown next to its field.",
        "de": "Der Entwurf hat noch {count} Problem(e); jedes steht neben seinem Feld.",
    },
    "draft_id_required": {
        "en": "The solution needs an id.",
        "de": "Die Lösung braucht eine ID.",
    },
    "draft_id_mismatch": {
        "en": "The draft's id does not match the solution you are editing.",
        "de": "Die ID des Entwurfs passt nicht zur bearbeiteten Lösung.",
    },
    "draft_too_large": {
        "en": "The draft is too large to store; shorten the guidance texts.",
        "de": "Der Entwurf ist zu groß zum Speichern; kürzen Sie die Hinweistexte.",
    },
    "draft_exists": {
        "en": "A draft of this solution exists already. Publish or discard it first.",
        "de": "Es gibt bereits einen Entwurf dieser Lösung. Veröffentlichen oder verwerfen Sie ihn zuerst.",
    },
    "import_invalid": {
        "en": "The file is not a solution or draft: {detail}",
        "de": "Die Datei ist keine Lösung und kein Entwurf: {detail}",
    },
    "retention_invalid": {
        "en": "Keep entries between {min} and {max} days.",
        "de": "Bewahren Sie Einträge zwischen {min} und {max} Tagen auf.",
    },
    "log_period_invalid": {
        "en": "The period ends before it starts.",
        "de": "Der Zeitraum endet, bevor er beginnt.",
    },
    "log_cursor_invalid": {
        "en": "This page of the log no longer exists. Start from the newest entries.",
        "de": "Diese Seite des Protokolls gibt es nicht mehr. Beginnen Sie bei den neuesten Einträgen.",
    },
    "bulk_running": {
        "en": "A bulk re-write is not finished yet. Continue it first.",
        "de": "Ein Massen-Rückschreiben ist noch nicht fertig. Setzen Sie es zuerst fort.",
    },
    "bulk_not_found": {
        "en": "There is no bulk re-write to continue.",
        "de": "Es gibt kein Massen-Rückschreiben zum Fortsetzen.",
    },
    "bulk_column_changed": {
        "en": "The target field changed since this bulk re-write started. Start a new one.",
        "de": "Das Zielfeld hat sich seit dem Start geändert. Starten Sie ein neues Massen-Rückschreiben.",
    },
    "bulk_conflict": {
        "en": "Another run of this bulk re-write is in progress.",
        "de": "Ein anderer Lauf dieses Massen-Rückschreibens ist im Gange.",
    },
    "quality_no_deals": {
        "en": "No closed deal was scored with this version yet.",
        "de": "Mit dieser Version wurde noch kein abgeschlossenes Geschäft bewertet.",
    },
    # moving projects
    "move_title": {"en": "Projects in {org}", "de": "Projekte in {org}"},
    "move_count": {
        "en": "Version {version}: {count} project(s)",
        "de": "Version {version}: {count} Projekt(e)",
    },
    "move_none": {
        "en": "No project uses this solution yet.",
        "de": "Noch kein Projekt verwendet diese Lösung.",
    },
    "move_explain": {
        "en": "Projects keep their version until you move them. Answers are kept where the criterion and answer still exist; the probability is recalculated and written to Dynamics 365. Dynamics decides per project whether you may change it.",
        "de": "Projekte behalten ihre Version, bis Sie sie verschieben. Antworten bleiben erhalten, wo Kriterium und Antwort weiter existieren; die Wahrscheinlichkeit wird neu berechnet und in Dynamics 365 geschrieben. Dynamics entscheidet je Projekt, ob Sie es ändern dürfen.",
    },
    "move_button": {
        "en": "Move {count} project(s) to version {version}",
        "de": "{count} Projekt(e) auf Version {version} verschieben",
    },
    "move_done": {
        "en": "{moved} project(s) moved; {not_allowed} not allowed by Dynamics 365; {changed} changed meanwhile.",
        "de": "{moved} Projekt(e) verschoben; {not_allowed} von Dynamics 365 nicht erlaubt; {changed} zwischenzeitlich geändert.",
    },
    "move_stopped": {
        "en": "{moved} project(s) moved, then stopped: {reason} {left} remain; move them later.",
        "de": "{moved} Projekt(e) verschoben, dann abgebrochen: {reason} {left} verbleiben; verschieben Sie sie später.",
    },
}
