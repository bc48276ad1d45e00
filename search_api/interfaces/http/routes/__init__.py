"""One router per resource: search, contributions, speakers, answers (with /context and
/tools), the service (/health, /stats) and the page; each route calls one operation."""
