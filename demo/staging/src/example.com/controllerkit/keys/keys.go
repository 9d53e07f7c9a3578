// Package keys turns API objects into work-queue keys and back. Both demo
// controllers use it, the way controllers in k8s.io/kubernetes share
// controller.KeyFunc. It lives in a staging module, so its import path is
// example.com/controllerkit/keys, not a path under example.com/kubedemo.
package keys

import (
	"k8s.io/client-go/tools/cache"
)

// KeyFunc returns the "namespace/name" key of obj. It also accepts the
// cache.DeletedFinalStateUnknown tombstones that delete handlers can receive.
func KeyFunc(obj interface{}) (string, error) {
	return cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
}

// SplitKey returns the namespace and name of a key made by KeyFunc.
func SplitKey(key string) (namespace, name string, err error) {
	return cache.SplitMetaNamespaceKey(key)
}
