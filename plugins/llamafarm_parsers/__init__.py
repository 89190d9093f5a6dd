"""Built-in parsers, registered through the `llamafarm.plugins` entry point like any third-party plugin.

One component per module; this module only lists them. Importing it must stay cheap: heavy
libraries (pypdf, python-docx, openpyxl) are imported inside the components, on first use.
"""

from __future__ import annotations

from llamafarm_core.plugin_api import hookimpl


@hookimpl
def register_parsers() -> list[type]:
    from llamafarm_parsers.auto_parser import AutoParser
    from llamafarm_parsers.code_parser import CodeParser
    from llamafarm_parsers.csv_parser import CsvParser
    from llamafarm_parsers.docx_parser import DocxParser
    from llamafarm_parsers.html_parser import HtmlParser
    from llamafarm_parsers.json_parser import JsonParser
    from llamafarm_parsers.markdown_parser import MarkdownParser
    from llamafarm_parsers.msg_parser import MsgParser
    from llamafarm_parsers.pdf_parser import PdfParser
    from llamafarm_parsers.text_parser import TextParser
    from llamafarm_parsers.xlsx_parser import XlsxParser

    return [
        TextParser,
        MarkdownParser,
        PdfParser,
        DocxParser,
        CsvParser,
        XlsxParser,
        HtmlParser,
        JsonParser,
        CodeParser,
        MsgParser,
        AutoParser,
    ]
