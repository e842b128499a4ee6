import marshmallow as ma


class JobOut(ma.Schema):
    id = ma.fields.String()
    description = ma.fields.String()
    schedule = ma.fields.Dict(metadata={"description": "cron fields in the centre's time zone"})
    last_status = ma.fields.String(allow_none=True, metadata={"enum": ["ok", "error", "missed", None]})
    last_run_at = ma.fields.DateTime(allow_none=True)
    last_summary = ma.fields.String(allow_none=True)
