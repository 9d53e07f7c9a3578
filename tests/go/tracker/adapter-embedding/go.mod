module example.com/adapter-embedding

go 1.21
