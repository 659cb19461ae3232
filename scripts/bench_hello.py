"""The ceiling for scripts/bench_meals.py: a minimal Flask app under the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    """Hello, World."""
    return "Hello, World!"
