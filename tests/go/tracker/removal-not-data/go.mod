module example.com/removal-not-data

go 1.21
