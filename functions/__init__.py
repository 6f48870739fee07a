"""One module per serverless handler; each binds one shared route to Mangum."""
