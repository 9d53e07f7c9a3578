package attachdetach

import "sync"

type volumeToAttach struct {
	volumeName string
	nodeName   string
}

// desiredStateOfWorld mimics pkg/controller/volume/attachdetach/cache/desired_state_of_world.go:
// maps guarded by an embedded RWMutex.
type desiredStateOfWorld struct {
	sync.RWMutex
	nodesManaged map[string]map[string]string
}

func newDesiredStateOfWorld() *desiredStateOfWorld {
	return &desiredStateOfWorld{nodesManaged: map[string]map[string]string{}}
}

func (dsw *desiredStateOfWorld) AddPod(podName, volumeName, nodeName string) {
	dsw.Lock()
	defer dsw.Unlock()
	if dsw.nodesManaged[nodeName] == nil {
		dsw.nodesManaged[nodeName] = map[string]string{}
	}
	dsw.nodesManaged[nodeName][volumeName] = podName
}

func (dsw *desiredStateOfWorld) GetVolumesToAttach() []volumeToAttach {
	dsw.RLock()
	defer dsw.RUnlock()
	out := []volumeToAttach{}
	for node, volumes := range dsw.nodesManaged {
		for name := range volumes {
			out = append(out, volumeToAttach{volumeName: name, nodeName: node})
		}
	}
	return out
}
