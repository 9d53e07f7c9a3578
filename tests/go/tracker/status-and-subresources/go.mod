module example.com/status-and-subresources

go 1.21
