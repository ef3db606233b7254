"""Writes the cookie jar pickles aiohttp 3.12 and older saved, for tests/test_cookie_files.py.

The committed files were made by aiohttp's own ``CookieJar.save`` (which pickled its cookie
store), in throwaway virtualenvs::

    python -m venv /tmp/old && /tmp/old/bin/pip install aiohttp==3.12.15
    /tmp/old/bin/python tests/data/make_legacy_cookie_pickles.py \\
        tests/data/cookiejar-aiohttp-3.12.15.pickle

and likewise with aiohttp==3.8.6 into ``cookiejar-aiohttp-3.8.6.pickle``.
"""

import asyncio
import sys
from http.cookies import SimpleCookie

import aiohttp
from yarl import URL

SET_COOKIES = [
    ("http://www.example.com/app/page", "host=1"),
    ("http://www.example.com/app/page", "dom=2; Domain=example.com; Path=/; Secure; HttpOnly"),
    ("https://www.example.com/", "deep=3; Path=/app/x/"),
    ("https://www.example.com/", 'quoted="a b"; Path=/'),
    ("https://www.example.com/", "later=4; Max-Age=3153600000; Path=/"),
    ("https://www.example.com/", "until=5; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Path=/"),
]


async def main(out: str) -> None:
    jar = aiohttp.CookieJar()
    for url, header in SET_COOKIES:
        jar.update_cookies(SimpleCookie(header), URL(url))
    jar.update_cookies({"shared": "s"})
    jar.save(out)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
