"""Messages for the error tree (keys are ``CockpitError.code`` values), the access rule and outages."""

from __future__ import annotations

from typing import Literal

ERROR_MESSAGES: dict[str, dict[Literal["en", "de"], str]] = {
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
    "state_conflict": {
        "en": "This does not fit what the cockpit holds now. Reload the page and try again.",
        "de": "Das passt nicht zum aktuellen Stand im Cockpit. Laden Sie die Seite neu und versuchen Sie es erneut.",
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
