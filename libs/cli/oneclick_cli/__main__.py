from oneclick_cli.main import app

app(prog_name="oneclick")
