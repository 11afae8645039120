/* Switchboard chat loader. Docs: www/README.md */
(()=>{
var w=window,d=document,old=w.Switchboard||{},
 me=d.currentScript||[...d.querySelectorAll('script[data-widget]')].pop();
if(old.open)return;
var gw=new URL(me.src).origin,wid=encodeURIComponent(me.dataset.widget),mq=w.matchMedia('(max-width:480px)'),
 T={en:['Open chat','Close chat','Chat'],es:['Abrir chat','Cerrar chat','Chat'],'pt-BR':['Abrir chat','Fechar chat','Chat']},
 cfg={},ls=[],open=0,ready=0,full=0,unread=0,frame,user,forced,loc,sent,
 host=d.createElement('div'),root=host.attachShadow({mode:'open'}),
 mk=(tag,parent,ns)=>parent.appendChild(ns?d.createElementNS('http://www.w3.org/2000/svg',tag):d.createElement(tag)),
 wrap=mk('div',root),btn=mk('button',wrap),svg=mk('svg',btn,1),badge=mk('b',btn),
 emit=(n,x)=>ls.forEach(([k,f])=>k==n&&f(x)),
 post=(type,x)=>ready&&frame.contentWindow.postMessage({sb:1,type,...x},gw);

'all:initial;position:fixed;z-index:2147483647'.split(';').forEach(p=>host.style.setProperty(...p.split(':'),'important'));
host.id='switchboard-widget';
(root.adoptedStyleSheets=[new CSSStyleSheet])[0].replaceSync(`:host{all:initial}
button,iframe{position:fixed;bottom:20px;right:20px;border:0;box-shadow:0 4px 20px #0005}.l>*{right:auto;left:20px}
button{width:56px;height:56px;border-radius:50%;background:#1f6feb;color:#fff}
svg{vertical-align:middle;width:28px;height:28px;fill:currentColor}
b{position:absolute;top:0;right:0;min-width:20px;border-radius:9px;background:#d1242f;font:12px/20px sans-serif}
iframe{bottom:88px;width:min(380px,100% - 40px);height:min(600px,100% - 108px);border-radius:9px}
.f iframe{inset:0;width:100%;height:100%;border-radius:0}.f button{display:none}`);
mk('path',svg,1).setAttribute('d','M4 4h20v15H12l-6 5v-5H4z');

function draw(){
 var l=((forced||cfg.locale||navigator.language)+'').slice(0,2).toLowerCase(),t=T[loc=l=='pt'?'pt-BR':T[l]?l:'en'];
 wrap.className=(cfg.position=='left'?'l ':'')+(open&&(full||mq.matches)?'f':'');
 btn.style.backgroundColor=cfg.color||'';
 btn.setAttribute('aria-label',open?t[1]:cfg.launcher_label?.[loc]||t[0]);
 btn.setAttribute('aria-expanded',!!open);
 badge.textContent=unread;
 badge.hidden=!unread;
 if(frame){
  frame.hidden=!open;
  frame.title=t[2];
  if(loc!=sent)post('locale',{locale:sent=loc});
 }
}
function make(){
 if(frame)return;
 frame=mk('iframe',wrap);
 frame.src=`${gw}/widget/frame.html?w=${wid}#locale=${sent=loc}&origin=${encodeURIComponent(location.origin)}`;
 draw();
}
function show(o){
 if(o==open)return;
 var f=root.activeElement==frame;
 open=o;
 make();
 draw();
 post(o?'open':'close');
 if(o)frame.focus();else if(f)btn.focus();
 emit(o?'open':'close');
}

btn.onclick=()=>show(!open);
btn.onkeydown=e=>{e.key=='Escape'&&show(0)};
w.addEventListener('message',e=>{
 var m=e.data||{},t=m.sb==1&&frame&&e.source==frame.contentWindow&&e.origin==gw&&m.type;
 if(t=='ready'){
  ready=1;
  sent=0;
  draw();
  post(open?'open':'close');
  if(user)post('identify',{user});
  emit(t);
 }
 if(t=='unread'){
  unread=m.count|0;
  draw();
  emit(t,{count:unread});
 }
 if(t=='close')show(0);
 if(t=='resize'){full=m.fullscreen;draw()}
});

var run=([n,...a])=>api[n]&&api[n](...a),
 api=w.Switchboard={
  open:()=>show(1),
  close:()=>show(0),
  toggle:()=>show(!open),
  identify:u=>post('identify',{user:user=u}),
  setLocale:l=>{forced=l;draw()},
  on:(n,f)=>ls.push([n,f]),
  off:(n,f)=>ls=ls.filter(([k,g])=>k!=n||g!=f),
  q:{push:(...c)=>c.forEach(run)}
 };
draw();
(d.body||d.documentElement).appendChild(host);
w.addEventListener('load',()=>(w.requestIdleCallback||(f=>setTimeout(f,3e3)))(make,{timeout:3e3}));
fetch(`${gw}/widget/v1/${wid}/config`).then(r=>r.json()).then(c=>{cfg=c||{};draw()},()=>{});
(old.q||[]).forEach(run);
})();
