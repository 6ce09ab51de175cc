"""``copy_link_button`` refuses anything but an http(s) address (the browser tests in
``test_browser_copy_link.py`` check the copying itself)."""

import pytest

from playground.shell.copy_link import copy_link_button


@pytest.mark.parametrize("link", ["javascript:alert(1)", "/boundaries?data=xor", ""])
def test_copy_link_refuses_what_is_not_a_web_address(link):
    with pytest.raises(ValueError, match="http"):
        copy_link_button(link, key="k", help="h")
