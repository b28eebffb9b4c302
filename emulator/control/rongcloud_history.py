"""GET /_emulator/rongcloud/history/{app_key}/{date}.gz?sign=: the hourly message log that
RongCloud's /message/history.json points at (reference users-messages-callbacks 2.10), built from
the app's message store when downloaded. Like the real download link it needs no credentials
beyond the URL itself: ``sign`` is derived from the app's secret and the hour (models_messages.
history_sign), so the control-plane token is not asked for and other apps' logs cannot be guessed.
"""

from __future__ import annotations

import hmac

from aiohttp import web


def setup_rongcloud_history(app: web.Application, rt, prefix: str) -> None:
    async def history_file(request: web.Request) -> web.Response:
        from emulator.providers.rongcloud.models_messages import history_file as build, history_sign
        provider = rt.providers.get("rongcloud")
        app_key, date = request.match_info["app_key"], request.match_info["date"]
        t = provider.backend.tenants.get(app_key) if provider is not None else None
        if t is None or not hmac.compare_digest(request.query.get("sign", ""), history_sign(t, date)):
            raise web.HTTPNotFound()
        data = build(t, date, rt.clock.now())
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/gzip",
                            headers={"Content-Disposition": f'attachment; filename="{date}.gz"'})

    app.router.add_get(f"{prefix}/rongcloud/history/{{app_key}}/{{date}}.gz", history_file)
