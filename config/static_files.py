"""WhiteNoise, sync and async. WhiteNoise's middleware is sync-only, and Django runs every
middleware above a sync-only one in a thread made for the request, then hops back to the event
loop below it: three switches for every request before its view. Here a request that names no
static file passes on the loop (a lookup in the files WhiteNoise listed at start); a static file
is opened and answered in the request's thread. In development, where WhiteNoise looks for files
on disk at each request (autorefresh), the lookup runs there too."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None) -> None:
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self._async_call(request)
        return super().__call__(request)

    async def _async_call(self, request: HttpRequest) -> HttpResponse:
        if self.autorefresh:
            response = await sync_to_async(self._static_response)(request)
        else:
            static_file = self.files.get(request.path_info)
            response = None if static_file is None else await sync_to_async(self.serve)(static_file, request)
        return response if response is not None else await self.get_response(request)

    def _static_response(self, request: HttpRequest) -> HttpResponse | None:
        static_file = self.find_file(request.path_info)
        return None if static_file is None else self.serve(static_file, request)
