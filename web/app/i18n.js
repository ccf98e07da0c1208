// i18n.js: the pages' words in Chinese (the default) and English, and
// times and durations written for people. The choice is kept in
// localStorage (it is no secret); switching re-renders the page.

const dict = {
	zh: {
		"app": "Herald 网络运维",
		"board.title": "NOC 故障看板",
		"cs.title": "客服查询",
		"incident.title": "故障详情",
		"login.title": "登录",
		"login.token": "访问令牌",
		"login.submit": "登录",
		"login.hint": "令牌只保存在本次浏览器会话中。",
		"login.bad": "令牌无效或已吊销。",
		"login.refused": "角色 {role} 无权使用此页面（需要：{need}）。",
		"login.error": "无法连接服务器：{detail}",
		"logout": "退出",
		"lang": "English",
		"live": "实时",
		"reconnecting": "重新连接中…",
		"loading": "加载中…",
		"none": "无",
		"sum.incidents": "活动故障",
		"sum.planned": "其中计划内",
		"sum.accounts": "受影响账户",
		"sum.queued": "通知待发",
		"sum.sent": "已发待回执",
		"sum.delivered": "已送达",
		"sum.failed": "发送失败",
		"sum.overdue": "超时工单",
		"sum.alarms": "活动告警",
		"col.id": "编号",
		"col.scope": "范围",
		"col.cause": "原因",
		"col.state": "状态",
		"col.accounts": "受影响账户",
		"col.age": "持续",
		"col.ticket": "工单",
		"col.notices": "通知 发送/送达",
		"col.title": "标题",
		"incidents.none": "当前没有活动故障。",
		"rate.title": "最近一小时告警速率（条/分钟）",
		"mw.title": "维护窗口",
		"mw.device": "设备",
		"mw.frame": "框",
		"mw.slot": "槽",
		"mw.port": "端口",
		"mw.starts": "开始",
		"mw.ends": "结束",
		"mw.reason": "原因",
		"mw.add": "添加",
		"mw.remove": "删除",
		"mw.active": "进行中",
		"mw.none": "没有维护窗口。",
		"mw.added": "已添加维护窗口 {id}。",
		"planned": "计划内",
		"individual": "单户",
		"inc.back": "返回看板",
		"inc.opened": "开始时间",
		"inc.confirmed": "确认时间",
		"inc.resolved": "恢复时间",
		"inc.eta": "预计恢复",
		"inc.device": "设备",
		"inc.region": "区域",
		"inc.alarms": "告警时间线",
		"inc.alarm_count": "共 {n} 条告警",
		"inc.topology": "拓扑",
		"inc.truncated": "（仅显示前 5000 个 ONU）",
		"inc.accounts": "受影响账户",
		"inc.messages": "已发短信",
		"inc.pending": "未发送：{list}",
		"inc.notfound": "没有编号为 {id} 的故障。",
		"topo.affected": "受影响",
		"topo.down": "离线",
		"topo.no_splitter": "（无分光器）",
		"tk.title": "工单",
		"tk.none": "此故障没有工单。",
		"tk.state": "状态",
		"tk.priority": "优先级",
		"tk.assignee": "处理人",
		"tk.team": "班组",
		"tk.history": "处理记录",
		"tk.note": "备注",
		"tk.acknowledge": "受理",
		"tk.dispatch": "派单",
		"tk.start": "开始处理",
		"tk.resolve": "解决",
		"tk.close": "关闭",
		"tk.set_eta": "设置预计恢复时间",
		"tk.overdue": "已超时：{list}",
		"tk.done": "工单已更新。",
		"acc.account": "账号",
		"acc.name": "姓名",
		"acc.phones": "电话",
		"acc.address": "地址",
		"acc.place": "位置",
		"page.prev": "上一页",
		"page.next": "下一页",
		"page.of": "第 {from}–{to} 条，共 {total} 条",
		"msg.count": "{n} 人",
		"cs.search": "电话 / 账号 / ONU 序列号",
		"cs.go": "查询",
		"cs.hint": "输入来电号码、宽带账号或光猫序列号。",
		"cs.notfound": "没有找到匹配的账户。",
		"cs.outage": "正在故障中",
		"cs.no_outage": "当前无故障",
		"cs.since": "自 {t} 起",
		"cs.since_label": "故障开始",
		"cs.cause": "原因",
		"cs.eta": "预计恢复",
		"cs.eta_none": "待定",
		"cs.ticket": "工单",
		"cs.messages": "已发送的短信",
		"cs.no_messages": "尚未给该用户发送短信。",
		"cs.say": "可告知用户：",
		"cs.say_text": "我们已于 {sent} 短信通知您；{cause}，正在抢修，{eta}。",
		"cs.say_nosms": "{cause}，正在抢修，{eta}。",
		"cs.say_eta": "预计 {eta} 恢复",
		"cs.say_noeta": "恢复时间待定",
		"cs.complaint": "登记投诉",
		"cs.channel": "渠道",
		"cs.category": "类别",
		"cs.sub_category": "子类",
		"cs.content": "内容",
		"cs.caller": "来电人",
		"cs.submit": "提交投诉",
		"cs.registered": "已登记投诉，工单 {id}。",
		"cs.linked": "关联故障",
		"cs.not_linked": "未关联故障",
		"cs.pre_notified": "已预先通知",
		"cs.not_pre_notified": "未预先通知",
		"cs.priority": "优先级 {p}",
		"cs.repeat": "30 天内重复投诉",
		"cs.place": "位置",
		"cs.language": "语言",
		"cs.opt_out": "拒收短信",
		"error": "出错：{detail}",
		"yes": "是",
		"no": "否",
	},
	en: {
		"app": "Herald network operations",
		"board.title": "NOC incident board",
		"cs.title": "Customer service lookup",
		"incident.title": "Incident",
		"login.title": "Sign in",
		"login.token": "Access token",
		"login.submit": "Sign in",
		"login.hint": "The token is kept for this browser session only.",
		"login.bad": "The token is unknown or revoked.",
		"login.refused": "Role {role} may not use this page (needs: {need}).",
		"login.error": "Cannot reach the server: {detail}",
		"logout": "Sign out",
		"lang": "中文",
		"live": "live",
		"reconnecting": "reconnecting…",
		"loading": "loading…",
		"none": "none",
		"sum.incidents": "Active incidents",
		"sum.planned": "planned",
		"sum.accounts": "Accounts affected",
		"sum.queued": "Notices queued",
		"sum.sent": "sent, no report yet",
		"sum.delivered": "delivered",
		"sum.failed": "failed",
		"sum.overdue": "Overdue tickets",
		"sum.alarms": "Active alarms",
		"col.id": "ID",
		"col.scope": "Scope",
		"col.cause": "Cause",
		"col.state": "State",
		"col.accounts": "Accounts",
		"col.age": "Age",
		"col.ticket": "Ticket",
		"col.notices": "Notices sent/delivered",
		"col.title": "Title",
		"incidents.none": "No active incidents.",
		"rate.title": "Alarms per minute, last hour",
		"mw.title": "Maintenance windows",
		"mw.device": "Device",
		"mw.frame": "Frame",
		"mw.slot": "Slot",
		"mw.port": "Port",
		"mw.starts": "Starts",
		"mw.ends": "Ends",
		"mw.reason": "Reason",
		"mw.add": "Add",
		"mw.remove": "Remove",
		"mw.active": "running",
		"mw.none": "No maintenance windows.",
		"mw.added": "Window {id} added.",
		"planned": "planned",
		"individual": "individual",
		"inc.back": "Back to the board",
		"inc.opened": "Opened",
		"inc.confirmed": "Confirmed",
		"inc.resolved": "Resolved",
		"inc.eta": "ETA",
		"inc.device": "Device",
		"inc.region": "Region",
		"inc.alarms": "Alarm timeline",
		"inc.alarm_count": "{n} alarms in all",
		"inc.topology": "Topology",
		"inc.truncated": "(first 5,000 ONUs only)",
		"inc.accounts": "Accounts affected",
		"inc.messages": "Texts sent",
		"inc.pending": "Not sent yet: {list}",
		"inc.notfound": "There is no incident {id}.",
		"topo.affected": "affected",
		"topo.down": "down",
		"topo.no_splitter": "(no splitter)",
		"tk.title": "Ticket",
		"tk.none": "This incident has no ticket.",
		"tk.state": "State",
		"tk.priority": "Priority",
		"tk.assignee": "Assignee",
		"tk.team": "Team",
		"tk.history": "History",
		"tk.note": "Note",
		"tk.acknowledge": "Acknowledge",
		"tk.dispatch": "Dispatch",
		"tk.start": "Start work",
		"tk.resolve": "Resolve",
		"tk.close": "Close",
		"tk.set_eta": "Set ETA",
		"tk.overdue": "Overdue: {list}",
		"tk.done": "Ticket updated.",
		"acc.account": "Account",
		"acc.name": "Name",
		"acc.phones": "Phones",
		"acc.address": "Address",
		"acc.place": "Place",
		"page.prev": "Previous",
		"page.next": "Next",
		"page.of": "{from}–{to} of {total}",
		"msg.count": "{n} recipients",
		"cs.search": "Phone / account / ONU serial",
		"cs.go": "Look up",
		"cs.hint": "Type the caller's number, the broadband account or the modem's serial.",
		"cs.notfound": "No account matches.",
		"cs.outage": "In an outage",
		"cs.no_outage": "No outage now",
		"cs.since": "since {t}",
		"cs.since_label": "Since",
		"cs.cause": "Cause",
		"cs.eta": "Expected back",
		"cs.eta_none": "to be announced",
		"cs.ticket": "Ticket",
		"cs.messages": "Texts sent",
		"cs.no_messages": "Nothing has been sent to this subscriber.",
		"cs.say": "You can tell the caller:",
		"cs.say_text": "We texted you at {sent}. Cause: {cause}; repair is under way, {eta}.",
		"cs.say_nosms": "Cause: {cause}; repair is under way, {eta}.",
		"cs.say_eta": "expected back by {eta}",
		"cs.say_noeta": "no restoration time yet",
		"cs.complaint": "Register a complaint",
		"cs.channel": "Channel",
		"cs.category": "Category",
		"cs.sub_category": "Sub-category",
		"cs.content": "Content",
		"cs.caller": "Caller",
		"cs.submit": "Register",
		"cs.registered": "Complaint registered, ticket {id}.",
		"cs.linked": "linked to incident",
		"cs.not_linked": "not linked to an incident",
		"cs.pre_notified": "pre-notified",
		"cs.not_pre_notified": "not pre-notified",
		"cs.priority": "priority {p}",
		"cs.repeat": "repeat within 30 days",
		"cs.place": "Place",
		"cs.language": "Language",
		"cs.opt_out": "SMS opt-out",
		"error": "Error: {detail}",
		"yes": "yes",
		"no": "no",
	},
};

// The vocabularies of the data: causes as the SMS templates say them
// (rules/template.c), states, scopes, alarm kinds, ticket states.
const words = {
	cause: {
		fibre_cut: ["光纤中断", "fibre cut"],
		power_cut: ["区域停电", "area power cut"],
		device_down: ["设备故障", "equipment fault"],
		board_fault: ["板卡故障", "line card fault"],
		port_down: ["端口故障", "port fault"],
		onu_los: ["光信号中断", "loss of fibre signal"],
		onu_power: ["光猫断电", "modem power loss"],
		onu_offline: ["光猫离线", "modem offline"],
		line_down: ["线路故障", "line fault"],
		unknown: ["网络故障", "network fault"],
	},
	state: {
		suspected: ["疑似", "suspected"],
		confirmed: ["已确认", "confirmed"],
		resolved: ["已恢复", "resolved"],
		transient: ["瞬时", "transient"],
		merged: ["已合并", "merged"],
		planned: ["计划内", "planned"],
	},
	scope: {
		device: ["整机", "device"],
		board: ["板卡", "board"],
		port: ["端口", "port"],
		splitter: ["分光器", "splitter"],
		onu: ["ONU", "ONU"],
		line: ["线路", "line"],
	},
	ticket: {
		new: ["新建", "new"],
		acknowledged: ["已受理", "acknowledged"],
		dispatched: ["已派单", "dispatched"],
		in_progress: ["处理中", "in progress"],
		resolved: ["已解决", "resolved"],
		closed: ["已关闭", "closed"],
		reopened: ["重新打开", "reopened"],
		cancelled: ["已取消", "cancelled"],
	},
	kind: {
		"device.unreachable": ["设备不可达", "device unreachable"],
		"device.power": ["设备掉电", "device power"],
		"board.fault": ["板卡故障", "board fault"],
		"pon.los": ["PON 口无光", "PON LOS"],
		"onu.los": ["ONU 无光", "ONU LOS"],
		"onu.dying_gasp": ["ONU 掉电", "ONU dying gasp"],
		"onu.offline": ["ONU 离线", "ONU offline"],
		"port.down": ["端口中断", "port down"],
		"dsl.line_down": ["DSL 线路中断", "DSL line down"],
	},
	notice: {
		queued: ["待发", "queued"],
		held: ["暂缓", "held"],
		sending: ["发送中", "sending"],
		sent: ["已发送", "sent"],
		delivered: ["已送达", "delivered"],
		failed: ["失败", "failed"],
		expired: ["已过期", "expired"],
		cancelled: ["已取消", "cancelled"],
		dead: ["无法送达", "undeliverable"],
		suppressed: ["不发送", "suppressed"],
		outage: ["故障通知", "outage notice"],
		restored: ["恢复通知", "restored notice"],
		update: ["进展通知", "update"],
		planned: ["计划维护通知", "planned-work notice"],
		complaint: ["投诉回复", "complaint reply"],
		manual: ["人工短信", "manual text"],
	},
	channel: {
		hotline: ["热线", "hotline"], web: ["网站", "web"],
		email: ["邮件", "email"], hall: ["营业厅", "service hall"],
		social: ["社交媒体", "social media"], "12345": ["12345", "12345"],
		"12315": ["12315", "12315"], miit: ["工信部", "MIIT"],
	},
	category: {
		network: ["网络", "network"], service: ["服务", "service"],
		delivery: ["装机", "delivery"], billing: ["计费", "billing"],
		customer: ["客户侧", "customer side"], other: ["其他", "other"],
	},
	sub_category: {
		no_pages: ["无法上网", "no pages"], drops: ["掉线", "drops"],
		slow: ["网速慢", "slow"], auth_error: ["认证失败", "auth error"],
		some_sites: ["部分网站打不开", "some sites"],
		stutter: ["卡顿", "stutter"], other: ["其他", "other"],
	},
};

let current = localStorage.getItem("herald.lang") === "en" ? "en" : "zh";

export function lang() {
	return current;
}

export function setLang(l) {
	current = l === "en" ? "en" : "zh";
	localStorage.setItem("herald.lang", current);
	document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
}
setLang(current);

// t("page.of", {from: 1, to: 20, total: 99})
export function t(key, vars) {
	const s = dict[current][key] ?? dict.zh[key] ?? key;
	return s.replace(/\{(\w+)\}/g, (m, k) =>
		vars && vars[k] !== undefined && vars[k] !== null ? String(vars[k]) : m);
}

// w("cause", "fibre_cut"): a value of the data in words; the value itself
// when the dictionary does not know it.
export function w(vocab, value) {
	if (value === null || value === undefined)
		return "";
	const e = words[vocab] && words[vocab][value];
	return e ? e[current === "zh" ? 0 : 1] : String(value);
}

export function vocabulary(vocab) {
	return Object.keys(words[vocab] || {});
}

const pad = (n) => String(n).padStart(2, "0");

// "12-02 14:02" (today: "14:02"), in the browser's time zone.
export function time(iso, full) {
	if (!iso)
		return "";
	const d = new Date(iso);
	if (isNaN(d))
		return String(iso);
	const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
	const today = new Date();
	if (!full && d.toDateString() === today.toDateString())
		return hm;
	return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

export function timeSec(iso) {
	if (!iso)
		return "";
	const d = new Date(iso);
	return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
	    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// How long since: "2小时05分" / "2h 05m".
export function age(iso) {
	if (!iso)
		return "";
	let s = Math.max(0, Math.floor((Date.now() - new Date(iso)) / 1000));
	const d = Math.floor(s / 86400), hh = Math.floor(s % 86400 / 3600);
	const mm = Math.floor(s % 3600 / 60);
	if (current === "zh") {
		if (d)
			return `${d}天${hh}小时`;
		if (hh)
			return `${hh}小时${pad(mm)}分`;
		return mm ? `${mm}分钟` : `${s % 60}秒`;
	}
	if (d)
		return `${d}d ${hh}h`;
	if (hh)
		return `${hh}h ${pad(mm)}m`;
	return mm ? `${mm}m` : `${s % 60}s`;
}

export function num(n) {
	return n === null || n === undefined ? "–" :
	    Number(n).toLocaleString(current === "zh" ? "zh-CN" : "en");
}
