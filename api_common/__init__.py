"""What Parley's two HTTP APIs share (the REST API in api/ and the API channel in
channels_in/api_channel/): the JSON body parser, the error and id shapes, and the signature on
what Parley posts to a business's endpoints. Imports nothing but the core."""
