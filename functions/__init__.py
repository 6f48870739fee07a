"""One module per serverless handler; each binds one shared route to Mangum.

Importing this package pauses the garbage collector until the handler is built
(shared/coldstart.py says why); every handler resumes it.
"""

from shared.coldstart import pause_collector

pause_collector()
