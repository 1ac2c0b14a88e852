/** @odoo-module **/
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
//
// A customer in their portal (tests/test_portal_http.py sets the data up): their
// subscription has 10 "Tour users", renews in 9 months, and its period starting
// today is invoiced and posted.
//
// 1. They open /my/subscriptions, open the contract, lower the users to 6 before
//    the notice deadline, see the preview (a credit note of 4 × 25.00 = 100.00)
//    and send the request.
// 2. Once their account manager confirmed it (in Python), they find the posted
//    credit note in /my/invoices.

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("aircall_subscription_portal_request_tour", {
    steps: () => [
        {
            content: "The portal home shows the subscriptions card once counted",
            trigger: ".o_portal_index_card:not(.d-none) a[href='/my/subscriptions']",
            run: "click",
        },
        {
            content: "The list shows the contract, its lines and the days left",
            trigger: "tr:contains(Tour users):contains(day(s)) a.o_subscription_portal_link",
            run: "click",
        },
        {
            content: "The contract page says the notice deadline and the days left",
            trigger: ".o_subscription_notice:contains(day(s) left)",
        },
        {
            content: "Request a change",
            trigger: "a.o_subscription_request",
            run: "click",
        },
        {
            content: "Lower the users to 6",
            trigger: ".o_subscription_request_form tr:contains(Tour users) input[name^='quantity_']",
            run: "edit 6",
        },
        {
            content: "Preview",
            trigger: ".o_subscription_request_form button[value='preview']",
            run: "click",
        },
        {
            content: "The preview announces a credit note of 100.00 (4 × 25.00, the whole period)",
            trigger:
                ".o_subscription_request_preview tr:contains(Tour users):contains(Credit note):contains(100.00)",
        },
        {
            content: "… and the notice rule in plain words",
            trigger: ".o_subscription_request_preview:contains(accepted until the notice deadline)",
        },
        {
            content: "The form kept the new quantity: send the request",
            trigger:
                ".o_subscription_request_form:has(input[name^='quantity_'][value='6']) button[value='send']",
            run: "click",
        },
        {
            content: "The request is sent, and waits for an answer",
            trigger: ".o_subscription_request_sent",
        },
        {
            content: "… listed as requested",
            trigger: "tr.o_subscription_amendment:contains(Tour users: 10 → 6):contains(Requested)",
        },
    ],
});

registry.category("web_tour.tours").add("aircall_subscription_portal_credit_note_tour", {
    steps: () => [
        {
            content: "The credit note is among the customer's invoices",
            trigger: "a[title^='RINV/']",
            run: "click",
        },
        {
            content: "… its page shows the total: 100.00 and 20 % tax",
            trigger: ".o_portal_invoice_sidebar h2:contains(120.00)",
        },
    ],
});

// A contract renewing in 10 days (tests/test_portal_http.py): past its notice
// deadline. The customer lowers the users anyway; the preview refuses it for the
// coming renewal and offers the next one; scheduled for it, the request is sent.
registry.category("web_tour.tours").add("aircall_subscription_portal_schedule_tour", {
    steps: () => [
        {
            content: "The page says which renewal a reduction sent now can meet",
            trigger: ".o_subscription_notice:contains(can still be scheduled for the renewal of)",
        },
        {
            content: "Request a change",
            trigger: "a.o_subscription_request",
            run: "click",
        },
        {
            content: "Lower the users to 6",
            trigger: ".o_subscription_request_form tr:contains(Tour users) input[name^='quantity_']",
            run: "edit 6",
        },
        {
            content: "Preview",
            trigger: ".o_subscription_request_form button[value='preview']",
            run: "click",
        },
        {
            content: "Too late for the coming renewal: the form offers the next one",
            trigger: ".o_subscription_request_preview:contains(Too late to reduce)",
        },
        {
            content: "Schedule it for that renewal",
            trigger: ".o_subscription_request_form button.o_subscription_schedule:contains(Schedule for)",
            run: "click",
        },
        {
            content: "The preview says it is scheduled for that day",
            trigger: ".o_subscription_request_preview:contains(scheduled, applied automatically on that day)",
        },
        {
            content: "Send the request",
            trigger: ".o_subscription_request_form button[value='send']",
            run: "click",
        },
        {
            content: "The request is sent",
            trigger: ".o_subscription_request_sent",
        },
    ],
});

// Once confirmed, the scheduled change is listed; the customer withdraws it.
registry.category("web_tour.tours").add("aircall_subscription_portal_withdraw_tour", {
    steps: () => [
        {
            content: "The scheduled change is listed",
            trigger: "tr.o_subscription_amendment:contains(Tour users: 10 → 6):contains(Scheduled)",
        },
        {
            content: "Withdraw it",
            trigger: "tr.o_subscription_amendment:contains(Scheduled) .o_subscription_withdraw button",
            run: "click",
        },
        {
            content: "It is withdrawn, and no longer listed",
            trigger:
                "body:has(.o_subscription_withdrawn):not(:has(tr.o_subscription_amendment:contains(Scheduled)))",
        },
    ],
});
