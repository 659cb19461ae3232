"""The ceiling for the HTTP benchmarks: a minimal Flask app under the same gunicorn settings.

`/` is scripts/bench_meals.py's ceiling (a string); `/table` is scripts/bench_browse.py's: a Jinja
template rendering a 20-row HTML table, the least a list page of the app can cost.
"""

from flask import Flask, render_template_string

app = Flask(__name__)

TABLE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<table>
  <thead><tr><th>#</th><th>需求</th><th>地点</th><th>金额</th></tr></thead>
  <tbody>
  {% for row in rows %}
    <tr><td>{{ row.id }}</td><td><a href="/needs/{{ row.id }}">{{ row.title }}</a></td><td>{{ row.place }}</td>
      <td>¥{{ "%.2f"|format(row.value) }}</td></tr>
  {% endfor %}
  </tbody>
</table></body></html>"""
ROWS = [{"id": n, "title": f"一台电饭煲 {n}", "place": "越秀区 北京街道", "value": 100 + 7.5 * n} for n in range(1, 21)]


@app.route("/")
def hello() -> str:
    """Hello, World."""
    return "Hello, World!"


@app.route("/table")
def table() -> str:
    """A 20-row table rendered from a template string (compiled once, then cached by Jinja)."""
    return render_template_string(TABLE, title="需求", rows=ROWS)
