"""The texts of what a rep sees beyond the basics in ``functions/messages.py``: the result summary,
grades and trends, reasons and next steps, follow-up tasks, Dynamics' score widget, the closed
notice, the history chart, "My cockpit" and the embedded sign-in. Same rules: every key in English
and German, one language per page."""

from __future__ import annotations

from typing import Literal

REP_MESSAGES: dict[str, dict[Literal["en", "de"], str]] = {
    # --- summary ----------------------------------------------------------------------------
    "summary_title": {"en": "Result", "de": "Ergebnis"},
    "version_only": {"en": "version {version}", "de": "Version {version}"},
    "skip_to_main": {"en": "Skip to the main content", "de": "Zum Hauptinhalt springen"},
    "grade": {"en": "Grade", "de": "Einstufung"},
    "grade_value": {"en": "Grade {grade}", "de": "Einstufung {grade}"},
    "grade_bands": {
        "en": "Grades: A from {a} %, B from {b} %, C from {c} %, D below.",
        "de": "Einstufungen: A ab {a} %, B ab {b} %, C ab {c} %, D darunter.",
    },
    "trend": {"en": "Trend", "de": "Tendenz"},
    "progress": {
        "en": "{answered} of {total} answered",
        "de": "{answered} von {total} beantwortet",
    },
    "last_evaluated": {
        "en": "Last evaluated by {name} on {date}",
        "de": "Zuletzt bewertet von {name} am {date}",
    },
    "evaluator_you": {"en": "you", "de": "Ihnen"},
    "evaluator_unknown": {"en": "a colleague", "de": "einer Kollegin oder einem Kollegen"},
    "field_fallback": {"en": "the probability field", "de": "das Wahrscheinlichkeitsfeld"},
    "wbs_written": {"en": "Written to Dynamics 365", "de": "In Dynamics 365 geschrieben"},
    "wbs_unchanged": {"en": "Dynamics 365 is up to date", "de": "Dynamics 365 ist aktuell"},
    "wbs_skipped_closed": {
        "en": "Not written: the opportunity is closed",
        "de": "Nicht geschrieben: die Verkaufschance ist geschlossen",
    },
    "wbs_retrying": {
        "en": "Not in Dynamics 365 yet: retrying",
        "de": "Noch nicht in Dynamics 365: wird wiederholt",
    },
    "wbs_failed": {"en": "Not written to Dynamics 365", "de": "Nicht in Dynamics 365 geschrieben"},
    "wbs_superseded": {
        "en": "Replaced by a newer evaluation",
        "de": "Durch eine neuere Bewertung ersetzt",
    },
    "wbs_pending": {
        "en": "Being written to Dynamics 365",
        "de": "Wird in Dynamics 365 geschrieben",
    },
    "wbs_drifted": {
        "en": "Changed in Dynamics 365 since",
        "de": "Seitdem in Dynamics 365 geändert",
    },
    "not_evaluated": {"en": "not evaluated yet", "de": "noch nicht bewertet"},
    "show_guidance": {"en": "How to judge this", "de": "So beurteilen Sie das"},
    "colour_green": {"en": "strong", "de": "stark"},
    "colour_amber": {"en": "partly", "de": "teilweise"},
    "colour_red": {"en": "weak", "de": "schwach"},
    "knockout_tag": {"en": "knock-out", "de": "K.-o.-Kriterium"},
    # --- reasons and next steps ---------------------------------------------------------------
    "factors_positive": {"en": "What helps", "de": "Was hilft"},
    "factors_negative": {"en": "What holds it back", "de": "Was bremst"},
    "factor_adds": {
        "en": "{question}: “{answer}” adds {points} points.",
        "de": "{question}: „{answer}“ bringt {points} Punkte.",
    },
    "factor_costs": {
        "en": "{question}: “{answer}” leaves {points} points open.",
        "de": "{question}: „{answer}“ lässt {points} Punkte offen.",
    },
    "factor_unanswered": {
        "en": "{question}: not answered yet, {points} points open.",
        "de": "{question}: noch nicht beantwortet, {points} Punkte offen.",
    },
    "factor_knockout": {
        "en": "{question}: “{answer}” is a knock-out and caps the probability at {cap} %.",
        "de": "{question}: „{answer}“ ist ein K.-o.-Kriterium und begrenzt die Wahrscheinlichkeit auf {cap} %.",
    },
    "no_factors": {"en": "Nothing yet.", "de": "Noch nichts."},
    "next_steps": {"en": "Next steps", "de": "Nächste Schritte"},
    "no_next_steps": {
        "en": "Every criterion is answered with its best option.",
        "de": "Jedes Kriterium ist mit der besten Option beantwortet.",
    },
    "create_task": {
        "en": "Create follow-up task in Dynamics",
        "de": "Folgeaufgabe in Dynamics anlegen",
    },
    "creating_task": {"en": "Creating the task…", "de": "Aufgabe wird angelegt…"},
    "task_created": {
        "en": "Task “{subject}” created in Dynamics 365 for the opportunity's owner.",
        "de": "Aufgabe „{subject}“ in Dynamics 365 für den Besitzer der Verkaufschance angelegt.",
    },
    "open_task": {"en": "Open the task", "de": "Aufgabe öffnen"},
    "task_subject": {"en": "Follow-up: {question}", "de": "Nachfassen: {question}"},
    "task_description": {
        "en": "Next step from the Opportunity Cockpit ({project}):\n{guidance}",
        "de": "Nächster Schritt aus dem Opportunity Cockpit ({project}):\n{guidance}",
    },
    "no_owner": {
        "en": "The opportunity has no owner in Dynamics 365 to give the task to.",
        "de": "Die Verkaufschance hat in Dynamics 365 keinen Besitzer, dem die Aufgabe gehören könnte.",
    },
    # --- closed opportunities --------------------------------------------------------------------
    "closed_notice_skip": {
        "en": "This opportunity is closed ({status}). You can still evaluate it, but your organisation does not write the probability of closed opportunities to Dynamics 365.",
        "de": "Diese Verkaufschance ist geschlossen ({status}). Sie können sie weiterhin bewerten, aber Ihre Organisation schreibt die Wahrscheinlichkeit geschlossener Verkaufschancen nicht in Dynamics 365.",
    },
    "closed_notice_write": {
        "en": "This opportunity is closed ({status}). Your organisation writes the probability to Dynamics 365 all the same.",
        "de": "Diese Verkaufschance ist geschlossen ({status}). Ihre Organisation schreibt die Wahrscheinlichkeit trotzdem in Dynamics 365.",
    },
    # --- history ------------------------------------------------------------------------------
    "chart_title": {
        "en": "Win probability over time",
        "de": "Gewinnwahrscheinlichkeit im Zeitverlauf",
    },
    "chart_summary": {
        "en": "{count} evaluations from {first} to {last}; the newest is {value}.",
        "de": "{count} Bewertungen vom {first} bis {last}; die neueste ist {value}.",
    },
    "history_unchanged": {
        "en": "saved {count} times without a change",
        "de": "{count}-mal ohne Änderung gespeichert",
    },
    # --- Dynamics' score widget ---------------------------------------------------------------
    "ps_published": {
        "en": "Also shown in Dynamics 365's predictive scoring (grade {grade}).",
        "de": "Auch in der prädiktiven Bewertung von Dynamics 365 angezeigt (Einstufung {grade}).",
    },
    "ps_no_table": {
        "en": "Not shown in Dynamics 365's predictive scoring: this organisation does not have its score table.",
        "de": "Nicht in der prädiktiven Bewertung von Dynamics 365 angezeigt: Diese Organisation hat deren Bewertungstabelle nicht.",
    },
    "ps_failed": {
        "en": "Not shown in Dynamics 365's predictive scoring: {reason}",
        "de": "Nicht in der prädiktiven Bewertung von Dynamics 365 angezeigt: {reason}",
    },
    "predictive_table_missing": {
        "en": "This organisation has no predictive score table (Dynamics 365 Sales Insights).",
        "de": "Diese Organisation hat keine Tabelle für prädiktive Bewertungen (Dynamics 365 Sales Insights).",
    },
    "admin_predictive": {
        "en": "Also show the cockpit's score in Dynamics 365's predictive scoring widget",
        "de": "Die Bewertung des Cockpits auch im Widget der prädiktiven Bewertung von Dynamics 365 zeigen",
    },
    "admin_predictive_missing": {
        "en": "This organisation has no predictive score table (msdyn_predictivescore): the option has no effect until Sales Insights is installed.",
        "de": "Diese Organisation hat keine Tabelle für prädiktive Bewertungen (msdyn_predictivescore): Die Option wirkt erst, wenn Sales Insights installiert ist.",
    },
    # --- My cockpit ---------------------------------------------------------------------------
    "my_cockpit": {"en": "My cockpit", "de": "Mein Cockpit"},
    "my_intro": {
        "en": "Opportunities you created or evaluated in the cockpit, with live values from Dynamics 365.",
        "de": "Verkaufschancen, die Sie im Cockpit angelegt oder bewertet haben, mit aktuellen Werten aus Dynamics 365.",
    },
    "my_empty": {
        "en": "Nothing here yet. Open an opportunity in Dynamics 365 and click “Open Cockpit”.",
        "de": "Hier ist noch nichts. Öffnen Sie eine Verkaufschance in Dynamics 365 und klicken Sie auf „Cockpit öffnen“.",
    },
    "cockpit_probability": {"en": "Cockpit probability", "de": "Cockpit-Wahrscheinlichkeit"},
    "crm_probability_short": {
        "en": "Dynamics 365 probability",
        "de": "Wahrscheinlichkeit in Dynamics 365",
    },
    "my_last_activity": {"en": "Your last activity", "de": "Ihre letzte Aktivität"},
    "sort_by": {"en": "Sort by", "de": "Sortieren nach"},
    "sort_activity": {"en": "Your last activity", "de": "Ihre letzte Aktivität"},
    "sort_name": {"en": "Name of the project", "de": "Name des Projekts"},
    "order": {"en": "Order", "de": "Reihenfolge"},
    "order_desc": {"en": "descending", "de": "absteigend"},
    "order_asc": {"en": "ascending", "de": "aufsteigend"},
    "apply": {"en": "Show", "de": "Anzeigen"},
    "page_of": {"en": "Page {page} of {pages}", "de": "Seite {page} von {pages}"},
    "previous_page": {"en": "Previous page", "de": "Vorherige Seite"},
    "next_page": {"en": "Next page", "de": "Nächste Seite"},
    "open_in_dynamics": {"en": "Open in Dynamics 365", "de": "In Dynamics 365 öffnen"},
    "pagination": {"en": "Pages", "de": "Seiten"},
    # --- the embedded sign-in (one wording whatever the browser's cookie settings) ------------
    "embed_waiting": {
        "en": "Finish signing in in the window that opened; it closes itself when you click “Done”. Then click “Continue” here.",
        "de": "Schließen Sie die Anmeldung im geöffneten Fenster ab; es schließt sich, wenn Sie auf „Fertig“ klicken. Klicken Sie dann hier auf „Weiter“.",
    },
    "embed_cannot_use": {
        "en": "This browser does not let the cockpit use your sign-in inside Dynamics 365. Use “Open in new tab” instead.",
        "de": "Dieser Browser erlaubt dem Cockpit nicht, Ihre Anmeldung innerhalb von Dynamics 365 zu nutzen. Nutzen Sie stattdessen „In neuem Tab öffnen“.",
    },
}
