"""A chat message as the pages show it: text, with its web links made
clickable. Plain Python, no trytond import, unit-tested directly.

Only http(s) addresses become links (never javascript: or data:), and
the pages add rel="noopener nofollow ugc" and open them in a new tab;
everything else stays text, escaped by the template or set as a DOM text
node by chat.js."""
import re

URL = re.compile(r'\bhttps?://[^\s<>"\'`]+', re.IGNORECASE)
# Punctuation that ends a sentence rather than the address.
TRAILING = '.,;:!?\'")]}»'
LINK_REL = 'noopener nofollow ugc'


def segments(text):
    """[(kind, value)] of text in order: kind 'text' or 'link'; joined,
    the values give text back."""
    result = []
    position = 0
    for match in URL.finditer(text or ''):
        url = match.group()
        end = match.end()
        while url and url[-1] in TRAILING:
            # A closing bracket belongs to the address when it opened in
            # it (Wikipedia's "..._(disambiguation)").
            if url[-1] == ')' and url.count('(') >= url.count(')'):
                break
            url = url[:-1]
            end -= 1
        if len(url) <= len('https://'):
            continue
        if match.start() > position:
            result.append(('text', text[position:match.start()]))
        result.append(('link', url))
        position = end
    if position < len(text or ''):
        result.append(('text', text[position:]))
    return result


# The line above which a reply to a chat mail is written (the mail's text
# starts with it); what follows it is the quoted mail.
REPLY_MARK = '\N{EM DASH}' * 24
ATTRIBUTION = re.compile(r'^\S.{0,200}:\s*$')


def reply_text(body):
    """The new text of a mail replying to a chat mail: the lines above
    the reply mark, without the quote that follows them nor the mail
    client's "On …, … wrote:" line before the quote."""
    lines = []
    quoted = False
    for line in (body or '').replace('\r\n', '\n').split('\n'):
        if REPLY_MARK[:6] in line:
            quoted = line.lstrip().startswith('>')
            break
        lines.append(line)

    def trim():
        nonlocal quoted
        while lines and (not lines[-1].strip()
                or lines[-1].lstrip().startswith('>')):
            quoted |= lines.pop().lstrip().startswith('>')
    trim()
    if quoted and lines and ATTRIBUTION.match(lines[-1]):
        lines.pop()
        trim()
    return '\n'.join(lines).strip()
