"""Extension objects, bound to the app in ``create_app``."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from volunteer_hub.core.api import Api
from volunteer_hub.core.db import db  # noqa: F401  (features import it from here)

migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = Api()
