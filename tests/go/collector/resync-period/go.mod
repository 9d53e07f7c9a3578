module example.com/resync-period

go 1.21
