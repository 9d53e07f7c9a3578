package attachdetach

import (
	"fmt"
	"sync"
)

type volumeToAttach struct {
	volumeName string
	nodeName   string
}

type pluginMgr struct {
	names []string
}

func (pm *pluginMgr) Names() []string {
	return pm.names
}

// desiredStateOfWorld mimics .../attachdetach/cache/desired_state_of_world.go: maps under an
// embedded RWMutex, next to the plugin manager it was built with.
type desiredStateOfWorld struct {
	sync.RWMutex
	nodesManaged    map[string]map[string]bool
	volumePluginMgr *pluginMgr
}

func newDesiredStateOfWorld(pm *pluginMgr) *desiredStateOfWorld {
	return &desiredStateOfWorld{nodesManaged: map[string]map[string]bool{}, volumePluginMgr: pm}
}

func (dsw *desiredStateOfWorld) AddNode(nodeName string) {
	dsw.Lock()
	defer dsw.Unlock()
	if _, ok := dsw.nodesManaged[nodeName]; !ok {
		dsw.nodesManaged[nodeName] = map[string]bool{}
	}
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

// actualStateOfWorld mimics .../attachdetach/cache/actual_state_of_world.go.
type actualStateOfWorld struct {
	sync.RWMutex
	attached               map[string]string
	nodesToUpdateStatusFor map[string]bool
}

func newActualStateOfWorld() *actualStateOfWorld {
	return &actualStateOfWorld{attached: map[string]string{}, nodesToUpdateStatusFor: map[string]bool{}}
}

func (asw *actualStateOfWorld) SetNodeStatusUpdateNeeded(nodeName string) {
	asw.Lock()
	defer asw.Unlock()
	asw.nodesToUpdateStatusFor[nodeName] = true
}

func (asw *actualStateOfWorld) MarkVolumeAsAttached(volumeName, nodeName string) error {
	asw.Lock()
	defer asw.Unlock()
	if asw.nodesToUpdateStatusFor[nodeName] {
		return fmt.Errorf("node %s has a pending status update", nodeName)
	}
	asw.attached[volumeName] = nodeName
	return nil
}

func (asw *actualStateOfWorld) GetNodesToUpdateStatusFor() []string {
	asw.RLock()
	defer asw.RUnlock()
	out := []string{}
	for name := range asw.nodesToUpdateStatusFor {
		out = append(out, name)
	}
	return out
}
