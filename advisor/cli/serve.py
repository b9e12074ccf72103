"""`advisor serve`: run the CDS Hooks service (advisor/cds) under uvicorn."""

from __future__ import annotations

import typer

from . import app, guarded


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, max=64, metavar="N", help="Worker processes (each evaluates one patient at a time)."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level (debug, info, warning, error)."),
) -> None:
    """Serve imatinib advice over CDS Hooks 2.0 (discovery at /cds-services; docs at /docs)."""

    def body() -> int:
        import os

        try:
            import uvicorn
        except ImportError:
            from ..errors import AdvisorError

            raise AdvisorError("advisor serve needs the serve extra: pip install 'imatinib-advisor[serve]'") from None
        from ..cds.app import Settings
        from ..cds.reports import new_key

        # Workers are separate processes: give them one report-link key so any of them opens any link.
        os.environ.setdefault("ADVISOR_CDS_REPORT_KEY", new_key())
        Settings.from_env()  # a bad configuration fails here, before uvicorn starts workers
        uvicorn.run("advisor.cds.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, access_log=False)
        return 0

    guarded(body)
