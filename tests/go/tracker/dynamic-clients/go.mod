module example.com/dynamic-clients

go 1.21
