"""The agent's browser: the /desk/ pages and their fragments, and the desk socket. What agents are
(profiles, teams, membership, presence, routing, assignment) is the agents app's, which the REST
API shares."""
