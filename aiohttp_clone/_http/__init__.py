"""Sans-I/O HTTP/1.1: bytes and values in, bytes and values out; no sockets, no event loop.

``rules`` (the RFC 9110/9112 grammar every piece shares), ``messages`` (what the parser
returns), ``errors``, ``parser`` (the switch between the C twin ``aiohttp_clone._http_parser``
and ``parser_py``), ``head`` (request-head serialization and validation), ``content_coding``
(decoders and compressors), ``fields`` (header values: media types, links) and ``set_cookie``
(Set-Cookie parsing). Nothing here imports the client layers above.
"""
