"""The agent desk (/desk/): one page of three panes, its fragments (htmx), and the actions agents
take. Each view reads through agents.selectors or changes through a service; the desk socket
(agents.consumers) tells the page what changed, and the page asks for the fragments again.

One module per part of the page: `desk` (the page and its conversation list, saved filters),
`conversation` (the open conversation: history, header, saved replies), `actions` (replying,
reading, the header's and the list's actions), `customer` (the customer panel: edit, search,
merge), `me` (the agent's own corner: load, availability, notifications, the one-time offer of
desktop notifications), `mentions` (the notes that named the agent, and their unread badge).
`choices` is what
filters and actions offer, shared by the page and the conversation.

Help articles (/desk/kb/) are pages of their own: `articles` (the list, the editor, its preview,
images, translations; `article_form` reads the editor's form, `article_selectors` what they show)
and `article_picker` (article links for the composer).
"""
