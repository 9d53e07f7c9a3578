module example.com/goroutine-callbacks

go 1.21
