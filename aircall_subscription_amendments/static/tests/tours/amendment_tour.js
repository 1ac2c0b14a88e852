/** @odoo-module **/
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
//
// An account manager lowers the users of a subscription from 10 to 6 with the
// amendment wizard. The data comes from the Python test (tests/test_tour.py): the
// period starting today is invoiced and posted, so the change effective today
// credits the whole period: 4 × 25.00 = 100.00.

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("aircall_subscription_amendment_tour", {
    steps: () => [
        {
            content: "The subscription form is open, with its 10 users",
            trigger:
                ".o_form_view [name='sale_subscription_line_ids'] td:contains(Tour users)",
        },
        {
            content: "Open the amendment wizard",
            trigger: ".o_form_view button:contains(/^Amend$/)",
            run: "click",
        },
        {
            content: "Lower the users",
            trigger:
                ".modal .o_data_row:contains(Tour users) .o_data_cell[name='new_quantity']",
            run: "click",
        },
        {
            content: "… to 6",
            trigger: ".modal .o_data_row:contains(Tour users) [name='new_quantity'] input",
            run: "edit 6",
        },
        {
            content: "Leave the cell so that the preview is computed",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "The preview announces a credit note of 100.00 (4 × 25.00, whole period)",
            trigger:
                ".modal [name='preview_html'] tr:contains(Tour users):contains(Credit note):contains(100.00)",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The wizard is closed on the applied amendment",
            trigger: "body:not(:has(.modal)) .o_form_view .o_arrow_button_current:contains(Done)",
        },
        {
            content: "The amendment's credit note is there",
            trigger: ".oe_stat_button:contains(Credit notes)",
            run: "click",
        },
        {
            content: "… a draft credit note for 100.00",
            trigger: ".o_list_view .o_data_row:contains(Draft):contains(100.00)",
        },
    ],
});

// A contract renewing in 10 days (tests/test_tour.py): past its notice deadline.
// The account manager lowers the users anyway; the preview refuses it for the
// coming renewal, and the footer offers the next renewal it is on time for.
registry.category("web_tour.tours").add("aircall_subscription_schedule_tour", {
    steps: () => [
        {
            content: "Open the amendment wizard",
            trigger: ".o_form_view button:contains(/^Amend$/)",
            run: "click",
        },
        {
            content: "Lower the users",
            trigger:
                ".modal .o_data_row:contains(Tour users) .o_data_cell[name='new_quantity']",
            run: "click",
        },
        {
            content: "… to 5",
            trigger: ".modal .o_data_row:contains(Tour users) [name='new_quantity'] input",
            run: "edit 5",
        },
        {
            content: "Leave the cell so that the preview is computed",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "The preview refuses it for the coming renewal",
            trigger: ".modal [name='preview_html']:contains(Too late to reduce)",
        },
        {
            content: "Schedule it for the next renewal it is on time for",
            trigger: ".modal-footer button[name='action_schedule']:contains(Schedule for)",
            run: "click",
        },
        {
            content: "The amendment is scheduled",
            trigger:
                "body:not(:has(.modal)) .o_form_view .o_arrow_button_current:contains(Scheduled)",
        },
    ],
});
