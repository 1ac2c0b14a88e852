# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Subscription Amendments",
    "summary": "Notice periods, amendment wizard and prorated credit notes "
    "for OCA subscriptions",
    "version": "18.0.1.3.0",
    "category": "Sales/Subscriptions",
    "website": "https://aircall.io",
    "author": "Aircall",
    "license": "AGPL-3",
    "development_status": "Alpha",
    "depends": ["account", "portal", "sale_management", "subscription_oca"],
    "external_dependencies": {"python": ["python-dateutil"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/sale_subscription_amendment_data.xml",
        "data/mail_activity_data.xml",
        "data/mail_template_data.xml",
        "wizards/sale_subscription_amendment_wizard_views.xml",
        "wizards/sale_subscription_amendment_refuse_wizard_views.xml",
        "views/sale_subscription_amendment_views.xml",
        "views/sale_subscription_views.xml",
        "views/sale_subscription_template_views.xml",
        "views/res_config_settings_views.xml",
        "views/account_move_views.xml",
        "views/sale_subscription_portal_templates.xml",
        "views/sale_subscription_mrr_movement_views.xml",
        "report/report_invoice.xml",
    ],
    "demo": [
        "demo/amendment_demo.xml",
        "demo/portal_demo.xml",
        "demo/mrr_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "aircall_subscription_amendments/static/tests/tours/amendment_tour.js",
            "aircall_subscription_amendments/static/tests/tours/portal_tour.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "installable": True,
}
