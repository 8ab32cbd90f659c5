"""kefu.assistant.escalation: when to hand a conversation to a human, the handoff package, the agent desk.

policy.EscalationPolicy  the rules (`kefu.escalation_rules` plug-ins) evaluated on the session after every turn
hook.Escalator           decides on a turn before it is stored; opens the ticket in the turn's transaction
agents.AgentDesk         inbox, claim, reply, resolve
Settings: the escalation group of the settings tree (ingest.config.EscalationSettings, KEFU_ESCALATION_*)
The loop that turns resolved tickets into FAQ entries is assistant.knowledge_loop; the handoff
summary is assistant.summary. Import from the submodules: this package imports nothing eagerly,
because the low-level modules (lexicon, similarity) are shared with assistant.summary.
"""
