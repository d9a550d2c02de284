"""Satisfaction (CSAT): one survey per resolve, asked on every channel as the channel allows.

The flow, and the module that owns each step:
- queueing: the durable subscriber hears each resolve inside its transaction and queues a survey
  (inboxes with surveys on), crediting the assignee and team of that moment; the send is a job
  after commit, and a sweep re-queues what a broker outage left behind;
- sending: the job asks the question through the core (services.message_post_automatic): five
  buttons where the channel draws them, a number hint where it does not, WhatsApp's approved
  template past its 24-hour window, or nothing, with the reason kept on the survey;
- answers: the core asks the reply catcher (registry.register_reply_catcher) before a customer's
  message reopens a resolved conversation; a rating, a comment right after it or a repeat is
  taken, recorded and shown to agents as an activity line, and the conversation stays resolved;
- asking and reading: the words sent, and how an answer is read.
Facts csat_sent and csat_answered go to the fact log as each happens (docs/reports.md).
"""
