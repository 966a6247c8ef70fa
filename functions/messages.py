"""Every text a person reads, in English and German, by key. Error keys are the ``code`` values of
the domain error tree (``shared/domain/errors.py``); a missing German text falls back to English
(a test keeps both complete)."""

from __future__ import annotations

from typing import Literal

from functions.messages_rep import REP_MESSAGES

Lang = Literal["en", "de"]

MESSAGES: dict[str, dict[Lang, str]] = {
    # --- errors (keys are CockpitError.code values) -------------------------------------------
    "error": {"en": "Something went wrong.", "de": "Etwas ist schiefgelaufen."},
    "invalid_input": {
        "en": "The request is not valid: {detail}",
        "de": "Die Anfrage ist ungültig: {detail}",
    },
    "invalid_key": {
        "en": "{what} contains characters that cannot be used.",
        "de": "{what} enthält Zeichen, die nicht verwendet werden können.",
    },
    "invalid_guid": {
        "en": "The {what} is not a valid record id (a GUID was expected).",
        "de": "Die {what} ist keine gültige Datensatz-ID (erwartet wird eine GUID).",
    },
    "invalid_org": {
        "en": "The organisation name is not valid.",
        "de": "Der Organisationsname ist ungültig.",
    },
    "not_signed_in": {"en": "Please sign in.", "de": "Bitte melden Sie sich an."},
    "reauth_required": {
        "en": "Your sign-in has expired. Please sign in again.",
        "de": "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.",
    },
    "forbidden": {"en": "You are not allowed to do this.", "de": "Dazu sind Sie nicht berechtigt."},
    "not_found": {"en": "Not found.", "de": "Nicht gefunden."},
    "conflict": {
        "en": "Someone else changed this at the same time. Reload the page and try again.",
        "de": "Jemand anderes hat dies gleichzeitig geändert. Laden Sie die Seite neu und versuchen Sie es erneut.",
    },
    "configuration_invalid": {
        "en": "The cockpit's CRM settings need attention: {detail} Please ask your cockpit administrator.",
        "de": "Die CRM-Einstellungen des Cockpits müssen geprüft werden: {detail} Bitte wenden Sie sich an Ihre Cockpit-Administration.",
    },
    "storage_unavailable": {
        "en": "The cockpit's storage is not reachable right now. Please try again in a minute.",
        "de": "Der Speicher des Cockpits ist gerade nicht erreichbar. Bitte versuchen Sie es in einer Minute erneut.",
    },
    "crm_error": {
        "en": "Dynamics 365 reported an error.",
        "de": "Dynamics 365 hat einen Fehler gemeldet.",
    },
    "crm_not_found": {
        "en": "This opportunity no longer exists in Dynamics 365 (it may have been deleted).",
        "de": "Diese Verkaufschance existiert in Dynamics 365 nicht mehr (sie wurde möglicherweise gelöscht).",
    },
    "crm_access_denied": {
        "en": "Dynamics 365 does not allow you to do this for this opportunity. Ask your CRM administrator for the privilege, or ask the owner.",
        "de": "Dynamics 365 erlaubt Ihnen dies für diese Verkaufschance nicht. Bitten Sie Ihre CRM-Administration um die Berechtigung oder wenden Sie sich an den Besitzer.",
    },
    "crm_field_secured": {
        "en": "The target field is protected by field security in Dynamics 365 and you may not change it. Ask your CRM administrator for a field security profile.",
        "de": "Das Zielfeld ist in Dynamics 365 durch Feldsicherheit geschützt und Sie dürfen es nicht ändern. Bitten Sie Ihre CRM-Administration um ein Feldsicherheitsprofil.",
    },
    "crm_record_closed": {
        "en": "This opportunity is closed (won or lost), so the probability was not written to Dynamics 365.",
        "de": "Diese Verkaufschance ist geschlossen (gewonnen oder verloren), daher wurde die Wahrscheinlichkeit nicht in Dynamics 365 geschrieben.",
    },
    "crm_conflict": {
        "en": "The opportunity was changed in Dynamics 365 meanwhile. Reload and try again.",
        "de": "Die Verkaufschance wurde in der Zwischenzeit in Dynamics 365 geändert. Laden Sie neu und versuchen Sie es erneut.",
    },
    "crm_rejected": {
        "en": "Dynamics 365 rejected the request. Please ask your cockpit administrator to check the settings.",
        "de": "Dynamics 365 hat die Anfrage abgelehnt. Bitten Sie Ihre Cockpit-Administration, die Einstellungen zu prüfen.",
    },
    "crm_busy": {
        "en": "Dynamics 365 is busy right now (too many requests). Please wait a moment and try again.",
        "de": "Dynamics 365 ist gerade ausgelastet (zu viele Anfragen). Bitte warten Sie einen Moment und versuchen Sie es erneut.",
    },
    "crm_unavailable": {
        "en": "Dynamics 365 is not reachable right now. Please try again later.",
        "de": "Dynamics 365 ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.",
    },
    # --- identity ----------------------------------------------------------------------------
    "sign_in_failed": {
        "en": "Sign-in did not complete ({error}). Please try again.",
        "de": "Die Anmeldung wurde nicht abgeschlossen ({error}). Bitte versuchen Sie es erneut.",
    },
    "login_expired": {
        "en": "This sign-in link has expired or was already used. Please start the sign-in again.",
        "de": "Dieser Anmeldelink ist abgelaufen oder wurde bereits verwendet. Bitte melden Sie sich erneut an.",
    },
    "login_not_yours": {
        "en": "This sign-in was started in another browser. Please start the sign-in here.",
        "de": "Diese Anmeldung wurde in einem anderen Browser begonnen. Bitte melden Sie sich hier an.",
    },
    "tenant_not_allowed": {
        "en": "Your organisation is not enabled for this cockpit. Ask your administrator.",
        "de": "Ihre Organisation ist für dieses Cockpit nicht freigeschaltet. Wenden Sie sich an Ihre Administration.",
    },
    "invalid_next": {
        "en": "The return address must be a page of this site.",
        "de": "Die Rücksprungadresse muss eine Seite dieser Website sein.",
    },
    "invalid_token": {
        "en": "The access token is not valid.",
        "de": "Das Zugriffstoken ist ungültig.",
    },
    "client_not_allowed": {
        "en": "This application may not call the cockpit's API. Ask your cockpit administrator to allow it.",
        "de": "Diese Anwendung darf die API des Cockpits nicht aufrufen. Bitten Sie Ihre Cockpit-Administration, sie zuzulassen.",
    },
    "insufficient_scope": {
        "en": "The access token does not grant access to the cockpit API.",
        "de": "Das Zugriffstoken erlaubt keinen Zugriff auf die Cockpit-API.",
    },
    "csrf_failed": {
        "en": "This request did not come from the cockpit's own page. Reload the page and try again.",
        "de": "Diese Anfrage kam nicht von der Cockpit-Seite selbst. Laden Sie die Seite neu und versuchen Sie es erneut.",
    },
    "admin_only": {
        "en": "Only cockpit administrators may do this.",
        "de": "Nur Cockpit-Administratoren dürfen das.",
    },
    "org_not_allowed": {
        "en": "The cockpit is not set up for the Dynamics 365 organisation “{org}” of your tenant. Ask your cockpit administrator to add it (by its unique name or URL name).",
        "de": "Das Cockpit ist für die Dynamics-365-Organisation „{org}“ Ihres Mandanten nicht eingerichtet. Bitten Sie Ihre Cockpit-Administration, sie hinzuzufügen (mit ihrem eindeutigen Namen oder URL-Namen).",
    },
    "signed_in_title": {"en": "You are signed in", "de": "Sie sind angemeldet"},
    "signed_in_return": {
        "en": "Click “Done” to close this window and continue in Dynamics 365.",
        "de": "Klicken Sie auf „Fertig“, um dieses Fenster zu schließen und in Dynamics 365 weiterzuarbeiten.",
    },
    "close_window": {"en": "Done", "de": "Fertig"},
    "close_window_hint": {
        "en": "Your browser keeps this window open: close it and click “Continue” in the cockpit tab.",
        "de": "Ihr Browser lässt dieses Fenster offen: Schließen Sie es und klicken Sie im Cockpit-Tab auf „Weiter“.",
    },
    "record_not_saved": {
        "en": "Save the opportunity first: the cockpit opens for saved records only.",
        "de": "Speichern Sie die Verkaufschance zuerst: Das Cockpit öffnet nur gespeicherte Datensätze.",
    },
    "signed_out_title": {"en": "Signed out", "de": "Abgemeldet"},
    "signed_out": {
        "en": "You have been signed out of the cockpit.",
        "de": "Sie wurden vom Cockpit abgemeldet.",
    },
    "sign_in": {"en": "Sign in", "de": "Anmelden"},
    "sign_out": {"en": "Sign out", "de": "Abmelden"},
    "reauth_fresh": {
        "en": "You just signed in, but the cockpit still cannot get access to Dynamics 365 for you ({detail}). Ask your administrator whether the app has consent for Dynamics 365.",
        "de": "Sie haben sich gerade angemeldet, aber das Cockpit erhält für Sie weiterhin keinen Zugriff auf Dynamics 365 ({detail}). Fragen Sie Ihre Administration, ob die App die Zustimmung für Dynamics 365 hat.",
    },
    # --- pages --------------------------------------------------------------------------------
    "home_title": {"en": "Opportunity Cockpit", "de": "Opportunity Cockpit"},
    "home_intro": {
        "en": "Open an opportunity in Dynamics 365 and click “Open Cockpit”, or use the Cockpit tab on the opportunity form.",
        "de": "Öffnen Sie eine Verkaufschance in Dynamics 365 und klicken Sie auf „Cockpit öffnen“, oder nutzen Sie den Cockpit-Tab im Formular.",
    },
    "admin_settings": {"en": "Administration", "de": "Administration"},
    "open_in_new_tab": {"en": "Open in new tab", "de": "In neuem Tab öffnen"},
    "opportunity": {"en": "Opportunity", "de": "Verkaufschance"},
    "account": {"en": "Account", "de": "Firma"},
    "owner": {"en": "Owner", "de": "Besitzer"},
    "est_revenue": {"en": "Est. revenue", "de": "Voraussichtlicher Umsatz"},
    "est_close_date": {"en": "Est. close date", "de": "Voraussichtliches Abschlussdatum"},
    "sales_stage": {"en": "Sales stage", "de": "Verkaufsphase"},
    "status": {"en": "Status", "de": "Status"},
    "crm_probability": {
        "en": "Probability in Dynamics 365",
        "de": "Wahrscheinlichkeit in Dynamics 365",
    },
    "target_value": {
        "en": "Target field {field} in Dynamics 365",
        "de": "Zielfeld {field} in Dynamics 365",
    },
    "closed_badge": {"en": "Closed", "de": "Geschlossen"},
    "choose_solution": {"en": "Choose a qualification model", "de": "Qualifizierungsmodell wählen"},
    "choose_solution_intro": {
        "en": "This is the first time the cockpit opens this opportunity. Choose the model to qualify it with.",
        "de": "Das Cockpit öffnet diese Verkaufschance zum ersten Mal. Wählen Sie das Modell, mit dem sie qualifiziert wird.",
    },
    "use_solution": {"en": "Use this model", "de": "Dieses Modell verwenden"},
    "criteria_count": {"en": "{count} criteria", "de": "{count} Kriterien"},
    "reassign_solution": {"en": "Change model (admin)", "de": "Modell ändern (Admin)"},
    "qualification": {"en": "Qualification", "de": "Qualifizierung"},
    "solution_version": {"en": "{name}, version {version}", "de": "{name}, Version {version}"},
    "evaluate": {"en": "Calculate and save", "de": "Berechnen und speichern"},
    "evaluating": {"en": "Saving…", "de": "Wird gespeichert…"},
    "not_answered": {"en": "not answered", "de": "nicht beantwortet"},
    "win_probability": {"en": "Win probability", "de": "Gewinnwahrscheinlichkeit"},
    "no_evaluation_yet": {
        "en": "No evaluation yet. Answer the criteria and click “Calculate and save”.",
        "de": "Noch keine Bewertung. Beantworten Sie die Kriterien und klicken Sie auf „Berechnen und speichern“.",
    },
    "explanation": {"en": "Why this probability", "de": "Warum diese Wahrscheinlichkeit"},
    "criterion": {"en": "Criterion", "de": "Kriterium"},
    "answer": {"en": "Answer", "de": "Antwort"},
    "weight": {"en": "Weight", "de": "Gewichtung"},
    "points": {"en": "Points", "de": "Punkte"},
    "knockout_active": {
        "en": "Knock-out: “{answer}” caps the probability at {cap} %.",
        "de": "K.-o.-Kriterium: „{answer}“ begrenzt die Wahrscheinlichkeit auf {cap} %.",
    },
    "answered_of": {
        "en": "{answered} of {total} criteria answered",
        "de": "{answered} von {total} Kriterien beantwortet",
    },
    "history": {"en": "History", "de": "Verlauf"},
    "history_when": {"en": "When", "de": "Wann"},
    "history_by": {"en": "By", "de": "Von"},
    "history_you": {"en": "you", "de": "Ihnen"},
    "history_colleague": {"en": "a colleague", "de": "einem Kollegen"},
    "history_model": {"en": "Model", "de": "Modell"},
    "trend_up": {"en": "improving", "de": "steigend"},
    "trend_down": {"en": "declining", "de": "fallend"},
    "trend_flat": {"en": "steady", "de": "gleichbleibend"},
    "trend_new": {"en": "first evaluation", "de": "erste Bewertung"},
    "writeback": {"en": "Dynamics 365", "de": "Dynamics 365"},
    "wb_written": {
        "en": "{value} was written to “{field}” in Dynamics 365. The opportunity form shows it after a refresh.",
        "de": "{value} wurde in „{field}“ in Dynamics 365 geschrieben. Das Verkaufschancen-Formular zeigt den Wert nach dem Aktualisieren.",
    },
    "wb_written_embedded": {
        "en": "{value} was written to “{field}” in Dynamics 365; the form is being refreshed.",
        "de": "{value} wurde in „{field}“ in Dynamics 365 geschrieben; das Formular wird aktualisiert.",
    },
    "wb_unchanged": {
        "en": "Dynamics 365 already shows {value} in “{field}”: nothing to write.",
        "de": "Dynamics 365 zeigt in „{field}“ bereits {value}: nichts zu schreiben.",
    },
    "wb_skipped_closed": {
        "en": "The opportunity is closed (won or lost), so {value} was not written to Dynamics 365. The evaluation is saved.",
        "de": "Die Verkaufschance ist geschlossen (gewonnen oder verloren), daher wurde {value} nicht in Dynamics 365 geschrieben. Die Bewertung ist gespeichert.",
    },
    "wb_retrying": {
        "en": "{value} is not in Dynamics 365 yet: {reason} The evaluation is saved and the cockpit keeps trying in the background; you can also “Write again”.",
        "de": "{value} ist noch nicht in Dynamics 365: {reason} Die Bewertung ist gespeichert, und das Cockpit versucht es im Hintergrund weiter; Sie können auch „Erneut schreiben“.",
    },
    "wb_superseded": {
        "en": "A newer evaluation replaced this one before it was written to Dynamics 365.",
        "de": "Eine neuere Bewertung hat diese ersetzt, bevor sie in Dynamics 365 geschrieben wurde.",
    },
    "wb_drifted": {
        "en": "The cockpit wrote {value} to “{field}”, but Dynamics 365 now shows {crm_value} (changed there since).",
        "de": "Das Cockpit hat {value} in „{field}“ geschrieben, aber Dynamics 365 zeigt jetzt {crm_value} (dort seitdem geändert).",
    },
    "wb_failed": {
        "en": "The evaluation is saved, but it was not written to Dynamics 365: {reason}",
        "de": "Die Bewertung ist gespeichert, wurde aber nicht in Dynamics 365 geschrieben: {reason}",
    },
    "wb_pending": {
        "en": "Not written to Dynamics 365 yet.",
        "de": "Noch nicht in Dynamics 365 geschrieben.",
    },
    "write_again": {"en": "Write again", "de": "Erneut schreiben"},
    "admin_title": {"en": "Cockpit administration", "de": "Cockpit-Administration"},
    "admin_org": {"en": "Dynamics 365 organisation {org}", "de": "Dynamics-365-Organisation {org}"},
    "admin_target_field": {
        "en": "Field that receives the probability",
        "de": "Feld, das die Wahrscheinlichkeit erhält",
    },
    "admin_closed_policy": {
        "en": "When the opportunity is closed",
        "de": "Wenn die Verkaufschance geschlossen ist",
    },
    "policy_skip": {"en": "Do not write (recommended)", "de": "Nicht schreiben (empfohlen)"},
    "policy_write": {"en": "Write anyway", "de": "Trotzdem schreiben"},
    "admin_save": {"en": "Save", "de": "Speichern"},
    "admin_saved": {"en": "Saved.", "de": "Gespeichert."},
    "field_type_range": {"en": "{type}, {min}–{max}", "de": "{type}, {min}–{max}"},
    "field_secured_warning": {
        "en": "secured: only users with a field security profile can write it",
        "de": "geschützt: nur Benutzer mit Feldsicherheitsprofil können es schreiben",
    },
    "field_refused": {"en": "cannot be used: {reasons}", "de": "nicht verwendbar: {reasons}"},
    "admin_metadata_error": {
        "en": "The field list could not be read from Dynamics 365: {reason}",
        "de": "Die Feldliste konnte nicht aus Dynamics 365 gelesen werden: {reason}",
    },
    "admin_current_missing": {
        "en": "The configured field “{field}” no longer exists or cannot be used. Choose another one.",
        "de": "Das eingestellte Feld „{field}“ existiert nicht mehr oder ist nicht verwendbar. Wählen Sie ein anderes.",
    },
    "no_solution": {
        "en": "Choose a qualification model first.",
        "de": "Wählen Sie zuerst ein Qualifizierungsmodell.",
    },
    "not_an_opportunity": {
        "en": "The cockpit works with opportunities only (this record is a “{typename}”).",
        "de": "Das Cockpit arbeitet nur mit Verkaufschancen (dieser Datensatz ist vom Typ „{typename}“).",
    },
    "embed_sign_in_title": {"en": "Sign in to the cockpit", "de": "Am Cockpit anmelden"},
    "embed_sign_in_intro": {
        "en": "The cockpit needs you to sign in with your Microsoft 365 account.",
        "de": "Das Cockpit benötigt Ihre Anmeldung mit Ihrem Microsoft-365-Konto.",
    },
    "embed_sign_in_button": {"en": "Sign in", "de": "Anmelden"},
    "embed_continue": {"en": "Continue", "de": "Weiter"},
    # --- qualification --------------------------------------------------------------------------
    "invalid_solution": {
        "en": "The solution is not valid: {detail}",
        "de": "Die Lösung ist ungültig: {detail}",
    },
    "invalid_answer": {
        "en": "An answer does not fit the solution: {detail}",
        "de": "Eine Antwort passt nicht zur Lösung: {detail}",
    },
    "invalid_probability": {
        "en": "The probability is not valid.",
        "de": "Die Wahrscheinlichkeit ist ungültig.",
    },
    "solution_not_found": {
        "en": "This solution does not exist (or not in this version).",
        "de": "Diese Lösung existiert nicht (oder nicht in dieser Version).",
    },
    "project_not_found": {
        "en": "There is no cockpit project for this opportunity yet. Open it from Dynamics 365 first.",
        "de": "Für diese Verkaufschance gibt es noch kein Cockpit-Projekt. Öffnen Sie es zuerst aus Dynamics 365.",
    },
    "target_field_refused": {
        "en": "“{field}” cannot receive the probability: {reasons}.",
        "de": "„{field}“ kann die Wahrscheinlichkeit nicht aufnehmen: {reasons}.",
    },
    "refusal_not_numeric": {"en": "it is not a number column", "de": "es ist keine Zahlenspalte"},
    "refusal_money_not_allowed": {
        "en": "it is a currency column (a probability is not an amount)",
        "de": "es ist eine Währungsspalte (eine Wahrscheinlichkeit ist kein Betrag)",
    },
    "refusal_not_updatable": {
        "en": "Dynamics 365 does not allow updating it",
        "de": "Dynamics 365 erlaubt nicht, es zu ändern",
    },
    "refusal_range_excludes_probability": {
        "en": "its range cannot hold 0–100",
        "de": "sein Wertebereich kann 0–100 nicht aufnehmen",
    },
    "value_out_of_range": {
        "en": "The probability does not fit the target field's range. Ask your cockpit administrator to choose another field.",
        "de": "Die Wahrscheinlichkeit passt nicht in den Wertebereich des Zielfelds. Bitten Sie Ihre Cockpit-Administration, ein anderes Feld zu wählen.",
    },
    "internal_error": {
        "en": "An unexpected error occurred. Please try again; if it persists, give your administrator this reference: {reference}",
        "de": "Ein unerwarteter Fehler ist aufgetreten. Bitte versuchen Sie es erneut; wenn er bleibt, nennen Sie Ihrer Administration diese Referenz: {reference}",
    },
    # --- the access rule, outages, limits -------------------------------------------------------
    "no_access": {
        "en": "Dynamics 365 does not let you see this opportunity, so the cockpit cannot show or change anything about it. Ask your Dynamics 365 administrator if you need access.",
        "de": "Dynamics 365 erlaubt Ihnen nicht, diese Verkaufschance zu sehen, daher kann das Cockpit nichts dazu anzeigen oder ändern. Wenden Sie sich an Ihre Dynamics 365-Administration, wenn Sie Zugriff benötigen.",
    },
    "read_only_access": {
        "en": "You may view this opportunity in Dynamics 365 but not change it, so you cannot change its cockpit either.",
        "de": "Sie dürfen diese Verkaufschance in Dynamics 365 ansehen, aber nicht ändern, daher können Sie auch ihr Cockpit nicht ändern.",
    },
    "identity_unavailable": {
        "en": "Microsoft sign-in (Entra ID) cannot be reached right now. Nothing was changed; please try again in a minute.",
        "de": "Die Microsoft-Anmeldung (Entra ID) ist gerade nicht erreichbar. Es wurde nichts geändert; bitte versuchen Sie es in einer Minute erneut.",
    },
    "crm_unreachable": {
        "en": "Dynamics 365 cannot be reached right now (no connection or no answer in time). Please try again in a minute.",
        "de": "Dynamics 365 ist gerade nicht erreichbar (keine Verbindung oder keine rechtzeitige Antwort). Bitte versuchen Sie es in einer Minute erneut.",
    },
    "payload_too_large": {
        "en": "The request is too large (at most {limit} bytes).",
        "de": "Die Anfrage ist zu groß (höchstens {limit} Bytes).",
    },
    "invalid_json": {
        "en": "The request body is not valid JSON.",
        "de": "Der Inhalt der Anfrage ist kein gültiges JSON.",
    },
    "invalid_lcid": {
        "en": "The language code passed by Dynamics 365 is not valid (a number such as 1033 was expected).",
        "de": "Der von Dynamics 365 übergebene Sprachcode ist ungültig (erwartet wird eine Zahl wie 1031).",
    },
    "method_not_allowed": {
        "en": "This address does not support this kind of request.",
        "de": "Diese Adresse unterstützt diese Art von Anfrage nicht.",
    },
    "http_error": {
        "en": "The request could not be handled.",
        "de": "Die Anfrage konnte nicht bearbeitet werden.",
    },
    "target_field_missing": {
        "en": "The opportunity has no column “{field}” in Dynamics 365.",
        "de": "Die Verkaufschance hat in Dynamics 365 keine Spalte „{field}“.",
    },
    "version_not_newer": {
        "en": "A newer version of this solution exists already: the version must be greater than {version}.",
        "de": "Es gibt bereits eine neuere Version dieser Lösung: Die Version muss größer als {version} sein.",
    },
    "solution_changed": {
        "en": "The project's qualification model changed meanwhile. Reload the page and answer again.",
        "de": "Das Qualifizierungsmodell des Projekts wurde inzwischen geändert. Laden Sie die Seite neu und antworten Sie erneut.",
    },
    "nothing_to_write": {
        "en": "There is no evaluation to write yet.",
        "de": "Es gibt noch keine Bewertung, die geschrieben werden könnte.",
    },
}
MESSAGES.update(REP_MESSAGES)

# --- the admin console --------------------------------------------------------------------------------
MESSAGES.update(
    {
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
        "colour_green": {"en": "green", "de": "grün"},
        "colour_amber": {"en": "amber", "de": "gelb"},
        "colour_red": {"en": "red", "de": "rot"},
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
        # health
        "health_title": {"en": "Health", "de": "Zustand"},
        "health_ok": {"en": "all checks pass", "de": "alle Prüfungen bestanden"},
        "health_not_ok": {"en": "needs attention", "de": "erfordert Aufmerksamkeit"},
        "health_check": {"en": "Check", "de": "Prüfung"},
        "health_finding": {"en": "Found", "de": "Befund"},
        "health_fix": {"en": "What to do", "de": "Was zu tun ist"},
        "health_again": {"en": "Check again", "de": "Erneut prüfen"},
        "health_log_counts": {
            "en": "Write-back log, last 24 hours:",
            "de": "Rückschreibprotokoll, letzte 24 Stunden:",
        },
        "health_errors": {"en": "{count} errors", "de": "{count} Fehler"},
        "health_warnings": {"en": "{count} warnings", "de": "{count} Warnungen"},
        "health_infos": {"en": "{count} information", "de": "{count} Informationen"},
        "health_status_ok": {"en": "passed", "de": "bestanden"},
        "health_status_failed": {"en": "failed", "de": "nicht bestanden"},
        "health_status_warning": {"en": "warning", "de": "Warnung"},
        "health_status_skipped": {"en": "not checked", "de": "nicht geprüft"},
        "check_dynamics_solution": {
            "en": "Cockpit solution in Dynamics 365",
            "de": "Cockpit-Lösung in Dynamics 365",
        },
        "check_target_exists": {"en": "Target field exists", "de": "Zielfeld vorhanden"},
        "check_target_numeric": {"en": "Target field is numeric", "de": "Zielfeld ist numerisch"},
        "check_target_range": {"en": "Target field holds 0–100", "de": "Zielfeld fasst 0–100"},
        "check_target_updatable": {
            "en": "Target field can be updated",
            "de": "Zielfeld ist änderbar",
        },
        "check_target_secured": {
            "en": "Field security on the target field",
            "de": "Feldsicherheit am Zielfeld",
        },
        "check_app_token": {
            "en": "App credential gets a token",
            "de": "App-Anmeldedaten erhalten ein Token",
        },
        "check_app_user": {"en": "Application user", "de": "Anwendungsbenutzer"},
        "check_app_impersonate": {
            "en": "Background writes on behalf of users",
            "de": "Hintergrund schreibt im Namen der Benutzer",
        },
        "check_app_write": {
            "en": "Background may write opportunities",
            "de": "Hintergrund darf Verkaufschancen schreiben",
        },
        "check_storage": {"en": "Storage answers", "de": "Speicher antwortet"},
        "check_tables": {"en": "Every table answers", "de": "Alle Tabellen antworten"},
        "check_token_cache_key": {"en": "Token cache key", "de": "Schlüssel des Token-Caches"},
        "health_solution_ok": {
            "en": "{solution} version {version} is installed.",
            "de": "{solution} Version {version} ist installiert.",
        },
        "health_solution_missing": {
            "en": "{solution} is not installed.",
            "de": "{solution} ist nicht installiert.",
        },
        "health_solution_version_unreadable": {
            "en": "{solution} is installed, but its version “{version}” cannot be read.",
            "de": "{solution} ist installiert, aber die Version „{version}“ ist nicht lesbar.",
        },
        "health_install_solution_outdated": {
            "en": "{solution} version {version} is installed; this deployment ships {expected}.",
            "de": "{solution} Version {version} ist installiert; diese Bereitstellung liefert {expected}.",
        },
        "health_install_solution_newer": {
            "en": "{solution} version {version} is newer than this deployment ({expected}).",
            "de": "{solution} Version {version} ist neuer als diese Bereitstellung ({expected}).",
        },
        "health_install_solution_unmanaged": {
            "en": "{solution} version {version} is installed unmanaged.",
            "de": "{solution} Version {version} ist nicht verwaltet installiert.",
        },
        "health_install_version_unknown": {
            "en": "The version of {solution} cannot be read ({version}).",
            "de": "Die Version von {solution} ist nicht lesbar ({version}).",
        },
        "health_install_url_not_set": {
            "en": "The Cockpit URL of {solution} is not set in this environment.",
            "de": "Die Cockpit-URL von {solution} ist in dieser Umgebung nicht gesetzt.",
        },
        "health_install_url_mismatch": {
            "en": "The Cockpit URL in Dynamics is {url}, but this deployment is {cockpit}.",
            "de": "Die Cockpit-URL in Dynamics ist {url}, diese Bereitstellung ist aber {cockpit}.",
        },
        "health_install_variable_missing": {
            "en": "{solution} is installed without its Cockpit URL variable.",
            "de": "{solution} ist ohne seine Cockpit-URL-Variable installiert.",
        },
        "fix_install_solution_outdated": {
            "en": "Import the managed package {expected} over the installed one (an upgrade keeps the settings).",
            "de": "Importieren Sie das verwaltete Paket {expected} über das installierte (ein Upgrade behält die Einstellungen).",
        },
        "fix_install_solution_newer": {
            "en": "Deploy the cockpit version that matches the package, or import the package {expected}.",
            "de": "Stellen Sie die zum Paket passende Cockpit-Version bereit oder importieren Sie das Paket {expected}.",
        },
        "fix_install_solution_unmanaged": {
            "en": "Outside development, import the managed package instead.",
            "de": "Importieren Sie außerhalb der Entwicklung stattdessen das verwaltete Paket.",
        },
        "fix_install_version_unknown": {
            "en": "Import the cockpit's managed solution package again.",
            "de": "Importieren Sie das verwaltete Lösungspaket des Cockpits erneut.",
        },
        "fix_install_url_not_set": {
            "en": "Set the environment variable “Cockpit URL” to {cockpit} (setup guide, step 2).",
            "de": "Setzen Sie die Umgebungsvariable „Cockpit-URL“ auf {cockpit} (Einrichtungsanleitung, Schritt 2).",
        },
        "fix_install_url_mismatch": {
            "en": "Set the environment variable “Cockpit URL” to {cockpit} (setup guide, step 2).",
            "de": "Setzen Sie die Umgebungsvariable „Cockpit-URL“ auf {cockpit} (Einrichtungsanleitung, Schritt 2).",
        },
        "fix_install_variable_missing": {
            "en": "Import the cockpit's managed solution package again.",
            "de": "Importieren Sie das verwaltete Lösungspaket des Cockpits erneut.",
        },
        "health_solution_unmanaged": {
            "en": "{solution} version {version} is installed unmanaged.",
            "de": "{solution} Version {version} ist nicht verwaltet installiert.",
        },
        "health_target_exists": {
            "en": "“{field}” ({name}) exists.",
            "de": "„{field}“ ({name}) existiert.",
        },
        "health_target_missing": {
            "en": "The opportunity has no column “{field}”.",
            "de": "Die Verkaufschance hat keine Spalte „{field}“.",
        },
        "health_target_numeric": {
            "en": "“{field}” is a {type} column.",
            "de": "„{field}“ ist eine Spalte vom Typ {type}.",
        },
        "health_target_type": {
            "en": "“{field}” is a {type} column, not a number.",
            "de": "„{field}“ ist eine Spalte vom Typ {type}, keine Zahl.",
        },
        "health_target_money": {
            "en": "“{field}” is a currency column; a probability is not an amount.",
            "de": "„{field}“ ist eine Währungsspalte; eine Wahrscheinlichkeit ist kein Betrag.",
        },
        "health_target_range_ok": {
            "en": "“{field}” can hold 0 to 100.",
            "de": "„{field}“ kann 0 bis 100 aufnehmen.",
        },
        "health_target_range": {
            "en": "“{field}” only holds {min} to {max}.",
            "de": "„{field}“ fasst nur {min} bis {max}.",
        },
        "health_target_updatable": {
            "en": "“{field}” can be updated.",
            "de": "„{field}“ ist änderbar.",
        },
        "health_target_readonly": {
            "en": "Dynamics 365 does not allow updating “{field}”.",
            "de": "Dynamics 365 erlaubt keine Änderung von „{field}“.",
        },
        "health_target_not_secured": {
            "en": "“{field}” is not under field security.",
            "de": "„{field}“ unterliegt keiner Feldsicherheit.",
        },
        "health_target_secured": {
            "en": "“{field}” is secured: only users with a field security profile can write it.",
            "de": "„{field}“ ist geschützt: nur Benutzer mit Feldsicherheitsprofil können es schreiben.",
        },
        "health_app_token_ok": {
            "en": "The app signed in to Microsoft Entra ID.",
            "de": "Die App hat sich bei Microsoft Entra ID angemeldet.",
        },
        "health_app_token_failed": {
            "en": "The app could not sign in to Microsoft Entra ID ({error}).",
            "de": "Die App konnte sich nicht bei Microsoft Entra ID anmelden ({error}).",
        },
        "health_app_user_ok": {
            "en": "The application user for app {app_id} exists and is enabled.",
            "de": "Der Anwendungsbenutzer für die App {app_id} existiert und ist aktiviert.",
        },
        "health_app_user_missing": {
            "en": "There is no application user for app {app_id}.",
            "de": "Es gibt keinen Anwendungsbenutzer für die App {app_id}.",
        },
        "health_app_user_disabled": {
            "en": "The application user for app {app_id} is disabled.",
            "de": "Der Anwendungsbenutzer für die App {app_id} ist deaktiviert.",
        },
        "health_app_impersonate_ok": {
            "en": "The app may act on behalf of users.",
            "de": "Die App darf im Namen von Benutzern handeln.",
        },
        "health_app_impersonate_missing": {
            "en": "The app may not act on behalf of users: background retries cannot write as the rep.",
            "de": "Die App darf nicht im Namen von Benutzern handeln: Hintergrundversuche können nicht als Vertriebsmitarbeiter schreiben.",
        },
        "health_app_write_ok": {
            "en": "The application user may write opportunities.",
            "de": "Der Anwendungsbenutzer darf Verkaufschancen schreiben.",
        },
        "health_app_write_missing": {
            "en": "The application user may read but not write opportunities.",
            "de": "Der Anwendungsbenutzer darf Verkaufschancen lesen, aber nicht schreiben.",
        },
        "health_app_read_missing": {
            "en": "The application user may not even read opportunities.",
            "de": "Der Anwendungsbenutzer darf Verkaufschancen nicht einmal lesen.",
        },
        "health_storage_ok": {"en": "Azure Storage answers.", "de": "Azure Storage antwortet."},
        "health_storage_down": {
            "en": "Azure Storage does not answer.",
            "de": "Azure Storage antwortet nicht.",
        },
        "health_tables_ok": {
            "en": "All {count} tables answer.",
            "de": "Alle {count} Tabellen antworten.",
        },
        "health_tables_broken": {
            "en": "These tables do not answer: {tables}.",
            "de": "Diese Tabellen antworten nicht: {tables}.",
        },
        "health_key_ok": {
            "en": "The key is loaded and works.",
            "de": "Der Schlüssel ist geladen und funktioniert.",
        },
        "health_key_broken": {
            "en": "The key cannot encrypt and decrypt.",
            "de": "Der Schlüssel kann nicht ver- und entschlüsseln.",
        },
        "health_skipped": {"en": "Not checked: {because}", "de": "Nicht geprüft: {because}"},
        "health_cannot_check": {
            "en": "Could not be checked: {error}",
            "de": "Konnte nicht geprüft werden: {error}",
        },
        "skip_target_exists": {
            "en": "the field does not exist.",
            "de": "das Feld existiert nicht.",
        },
        "skip_target_numeric": {
            "en": "the field is not numeric.",
            "de": "das Feld ist nicht numerisch.",
        },
        "skip_app_token": {
            "en": "the app cannot sign in.",
            "de": "die App kann sich nicht anmelden.",
        },
        "skip_app_user": {
            "en": "the application user is missing or disabled.",
            "de": "der Anwendungsbenutzer fehlt oder ist deaktiviert.",
        },
        "skip_timer": {
            "en": "only checked when an administrator opens this page.",
            "de": "wird nur geprüft, wenn eine Administration diese Seite öffnet.",
        },
        "skip_storage": {"en": "storage does not answer.", "de": "der Speicher antwortet nicht."},
        "skip_no_project": {
            "en": "no project yet to test with.",
            "de": "noch kein Projekt zum Testen.",
        },
        "fix_solution_import": {
            "en": "Import the cockpit's managed solution package in the Power Platform admin center (see the setup guide, step 1).",
            "de": "Importieren Sie das verwaltete Lösungspaket des Cockpits im Power Platform Admin Center (siehe Einrichtungsanleitung, Schritt 1).",
        },
        "fix_solution_managed": {
            "en": "Outside development, import the managed package instead.",
            "de": "Importieren Sie außerhalb der Entwicklung stattdessen das verwaltete Paket.",
        },
        "fix_target_choose": {
            "en": "Choose another target field on the “Target field” page.",
            "de": "Wählen Sie auf der Seite „Zielfeld“ ein anderes Zielfeld.",
        },
        "fix_target_range": {
            "en": "Set the column's minimum to 0 or less and maximum to 100 or more in Dynamics 365, or choose another field.",
            "de": "Setzen Sie in Dynamics 365 das Minimum der Spalte auf 0 oder weniger und das Maximum auf 100 oder mehr, oder wählen Sie ein anderes Feld.",
        },
        "fix_target_secured": {
            "en": "Give reps a field security profile that allows updating it, or choose an unsecured field.",
            "de": "Geben Sie dem Vertrieb ein Feldsicherheitsprofil mit Änderungsrecht, oder wählen Sie ein ungeschütztes Feld.",
        },
        "fix_app_credential": {
            "en": "Renew the app registration's certificate or secret and update the cockpit's configuration (see the deployment guide).",
            "de": "Erneuern Sie Zertifikat oder Geheimnis der App-Registrierung und aktualisieren Sie die Konfiguration des Cockpits (siehe Bereitstellungsanleitung).",
        },
        "fix_app_user_create": {
            "en": "Create an application user for this app in the Power Platform admin center and give it the cockpit's security role.",
            "de": "Legen Sie im Power Platform Admin Center einen Anwendungsbenutzer für diese App an und geben Sie ihm die Sicherheitsrolle des Cockpits.",
        },
        "fix_app_user_enable": {
            "en": "Enable the application user in the Power Platform admin center.",
            "de": "Aktivieren Sie den Anwendungsbenutzer im Power Platform Admin Center.",
        },
        "fix_app_impersonate": {
            "en": "Give the application user a role with the privilege “Act on Behalf of Another User”.",
            "de": "Geben Sie dem Anwendungsbenutzer eine Rolle mit dem Recht „Im Namen eines anderen Benutzers handeln“.",
        },
        "fix_app_write": {
            "en": "Give the application user organisation-wide read and write on opportunities (the cockpit's security role).",
            "de": "Geben Sie dem Anwendungsbenutzer organisationsweites Lese- und Schreibrecht auf Verkaufschancen (die Sicherheitsrolle des Cockpits).",
        },
        "fix_storage": {
            "en": "Check the storage account and the app's access to it in the Azure portal.",
            "de": "Prüfen Sie das Speicherkonto und den Zugriff der App darauf im Azure-Portal.",
        },
        "fix_tables": {
            "en": "Create the missing tables (the deployment does) and give the app's identity the Storage Table Data Contributor role.",
            "de": "Legen Sie die fehlenden Tabellen an (die Bereitstellung tut das) und geben Sie der Identität der App die Rolle „Storage Table Data Contributor“.",
        },
        "fix_key": {
            "en": "Set the token cache key in Key Vault to a 32-byte base64 value and restart the app.",
            "de": "Setzen Sie den Token-Cache-Schlüssel in Key Vault auf einen 32-Byte-Base64-Wert und starten Sie die App neu.",
        },
        "fix_try_again": {
            "en": "Try again in a minute; if it persists, look at the other checks first.",
            "de": "Versuchen Sie es in einer Minute erneut; bleibt es so, prüfen Sie zuerst die anderen Punkte.",
        },
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
)
