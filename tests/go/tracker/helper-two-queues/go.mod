module example.com/helper-two-queues

go 1.21
