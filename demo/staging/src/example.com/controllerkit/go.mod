module example.com/controllerkit

go 1.21

require k8s.io/client-go v0.28.0
