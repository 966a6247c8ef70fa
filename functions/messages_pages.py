"""Messages of the sign-in, the pages and qualification."""

from __future__ import annotations

from typing import Literal

PAGE_MESSAGES: dict[str, dict[Literal["en", "de"], str]] = {
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
        "en": "An answer does not fit the qualification model: {detail} Reload the page and answer again.",
        "de": "Eine Antwort passt nicht zum Qualifizierungsmodell: {detail} Laden Sie die Seite neu und antworten Sie erneut.",
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
}
