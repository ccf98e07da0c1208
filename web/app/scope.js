// scope.js: where an incident is, as the NOC writes it: "olt1 0/1/3 S1".

export function scopeText(inc) {
	const parts = [];
	if (inc.device && inc.device.name)
		parts.push(inc.device.name);
	if (inc.slot !== null && inc.slot !== undefined) {
		let p = `${inc.frame ?? 0}/${inc.slot}`;
		if (inc.port !== null && inc.port !== undefined)
			p += `/${inc.port}`;
		if (inc.onu !== null && inc.onu !== undefined)
			p += `:${inc.onu}`;
		parts.push(p);
	}
	if (inc.splitter)
		parts.push(inc.splitter);
	return parts.join(" ");
}
