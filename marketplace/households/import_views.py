"""Staff import referrals from a CSV or Excel file, and download the template (docs/referral-import.md)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.households import importer
from marketplace.unit_of_work import refusal

bp = Blueprint("referral_import", __name__, url_prefix="/staff/referrals/import")
STAFF = (Role.STAFF, Role.ADMIN)
SHOWN_ERRORS = 500  # a page with more is no help; the counts say how many there are
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(FlaskForm):
    """One CSV or XLSX file of referrals."""

    file = FileField(
        _l("File of referrals (CSV or Excel .xlsx, at most 5,000 rows)"),
        validators=[FileRequired(_l("Choose a file.")), FileAllowed(["csv", "xlsx"], _l("CSV or .xlsx files only."))],
        description=_l("Use the template's columns. Rows already imported are recognised and not duplicated."),
        render_kw={"accept": f".csv,.xlsx,text/csv,{XLSX_TYPE}"},
    )


@bp.route("/", methods=["GET", "POST"])
@roles_required(*STAFF)
def upload() -> str:
    """The upload form and, after an import, its report: counts and the rows that were refused."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload_file = form.file.data
        with refusal(form.file) as refused:
            report = importer.import_file(upload_file.filename or "", upload_file.read(), actor=current_user)
        if not refused:
            summary = _("Import finished: %(created)s created, %(present)s already present, %(bad)s refused.",
                        created=report.created, present=report.already_present, bad=report.bad_rows)
            flash(summary, "error" if report.errors else "success")
    return render_template("referrals/import.html", form=form, report=report, shown_errors=SHOWN_ERRORS)


def _download(data: bytes, extension: str, mimetype: str) -> Response:
    name = f"shanlian-referrals-template-{clock.local(clock.now()):%Y%m%d}.{extension}"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
    })


@bp.route("/template.csv")
@roles_required(*STAFF)
def template_csv() -> Response:
    """The header and one example row as CSV (UTF-8 with BOM, which Excel opens correctly)."""
    return _download(importer.template_csv(), "csv", "text/csv; charset=utf-8")


@bp.route("/template.xlsx")
@roles_required(*STAFF)
def template_xlsx() -> Response:
    """The header and one example row as an Excel workbook."""
    return _download(importer.template_xlsx(), "xlsx", XLSX_TYPE)
