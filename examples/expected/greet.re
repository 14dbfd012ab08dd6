two local servers echo a greeting after 1 s and 2 s
blocking, one after the other:
Reply: b'Hello, world'
Reply: b'Hello, world'
blocking total: [0-9]+\.[0-9]{2} s
async, both at once \(gather\):
Reply: b'Hello, world'
Reply: b'Hello, world'
async total: [0-9]+\.[0-9]{2} s
elapsed: blocking [0-9.]+ s \(about the sum\), async [0-9.]+ s \(about the longest\)
