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
            trigger: ".o_form_view [name='sale_subscription_line_ids'] td:contains(Tour users)",
        },
    ],
});
