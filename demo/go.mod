module example.com/kubedemo

go 1.21

require (
	example.com/controllerkit v0.0.0
	k8s.io/api v0.28.0
	k8s.io/apimachinery v0.28.0
	k8s.io/client-go v0.28.0
	k8s.io/klog/v2 v2.100.1
)

// Like k8s.io/kubernetes, the demo keeps a library module under staging/src
// and points the require above at it.
replace example.com/controllerkit => ./staging/src/example.com/controllerkit
