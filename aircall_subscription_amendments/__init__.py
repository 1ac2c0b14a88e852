# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
# rules/ is pure Python and is not imported here on purpose: the models import it.
from . import controllers, models, wizards
from .hooks import post_init_hook
