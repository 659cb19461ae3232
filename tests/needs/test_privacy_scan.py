"""`flask privacy scan`: the published texts written before the guard was this strict, for staff to rewrite."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.projects import service as projects
from marketplace.projects.models import PlanLine, Project, ProjectPhoto
from tests.conftest import make_need
from tests.projects.support import make_project

JIAN = {"head_name": "简国华", "address": "越秀区东风东路733号之二", "phone": "13926081357",
        "id_number": "44010419620315771X"}


def _staff(project: Project):  # type: ignore[no-untyped-def]
    from marketplace.accounts.models import User

    return db.session.get(User, project.created_by_id)


def _old_text(model: type, row_id: int, **values: str) -> None:
    """Write a text past the guard, as texts were written before it was this strict."""
    db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def test_the_scan_lists_each_public_text_the_guard_refuses_with_the_page_to_fix_it(app):
    clean = make_need("published")
    leaking = make_need("closed", household=JIAN)
    draft = make_need("draft", household=JIAN)
    project = make_project("plan_approved", photos=2)
    shown, private = project.photos
    projects.publish_photo(shown, actor=_staff(project), caption="改造前的屋顶")
    db.session.commit()
    _old_text(Need, leaking.id, story="简伯伯，64岁，住东风东路733号，屋顶漏水。", title="国华伯伯的屋顶")
    _old_text(Need, draft.id, story="简伯伯住东风东路733号")  # not shown to anyone: publishing it is refused
    _old_text(Project, project.id, story="W伯，电话138 0013 8000")  # the household's own phone
    _old_text(PlanLine, project.lines[0].id, description="瓦片，送到北京路88号")
    _old_text(ProjectPhoto, shown.id, caption="改造前：李桂芳家的屋顶")
    _old_text(ProjectPhoto, private.id, caption="李桂芳")  # not on the public page: not listed

    result = app.test_cli_runner().invoke(args=["privacy", "scan"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"need {leaking.id}\ttitle\tgiven_name\t「国华」\t/staff/needs/{leaking.id}" in lines
    assert f"need {leaking.id}\tstory\taddress\t「东风东路733号」\t/staff/needs/{leaking.id}" in lines
    assert f"project {project.id}\tstory\tphone\t「138 0013 8000」\t/staff/projects/{project.id}" in lines
    line_id = project.lines[0].id
    assert f"plan_line {line_id}\tdescription\taddress\t「北京路88号」\t/staff/projects/{project.id}" in lines
    assert f"photo {shown.id}\tcaption\tname\t「李桂芳」\t/staff/projects/{project.id}" in lines
    assert not [x for x in lines if x.startswith((f"need {clean.id}\t", f"need {draft.id}\t", f"photo {private.id}\t"))]
    assert lines[-1].endswith("5 fragments the story guard refuses.")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "privacy.scan"))
    assert event.after["refused"] == 5 and event.after["needs"] == [leaking.id]
    assert event.after["projects"] == [project.id]
    recorded = str(event.before) + str(event.after)
    assert not any(words in recorded for words in ("国华", "东风东路", "138", "北京路"))  # ids and counts only


def test_the_scan_of_clean_texts_lists_nothing(app):
    make_need("published")
    make_project("covered")
    result = app.test_cli_runner().invoke(args=["privacy", "scan"])
    assert result.exit_code == 0 and result.output.splitlines()[-1].endswith(", 0 fragments the story guard refuses.")
