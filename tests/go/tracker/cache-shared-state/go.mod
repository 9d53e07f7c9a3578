module example.com/cache-shared-state

go 1.21
