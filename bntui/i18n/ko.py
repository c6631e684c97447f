"""Korean UI strings: English text → Korean (see ``bntui.i18n``)."""

KO: dict[str, str] = {}
