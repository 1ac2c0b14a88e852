# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Subscription Amendments: job queue",
    "summary": "Bulk amendments and the daily subscription cron as OCA queue_job jobs",
    "version": "18.0.1.1.0",
    "category": "Sales/Subscriptions",
    "website": "https://aircall.io",
    "author": "Aircall",
    "license": "AGPL-3",
    "development_status": "Alpha",
    "depends": ["aircall_subscription_amendments", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/queue_job_data.xml",
        "data/ir_sequence_data.xml",
        "views/sale_subscription_amendment_bulk_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
