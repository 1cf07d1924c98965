// Entry point: /board is the projector view, everything else the game.

import './style.css';
import { startApp } from './app.js';
import { startBoard } from './board.js';

const root = document.getElementById('app');
if (window.location.pathname.replace(/\/+$/, '') === '/board') startBoard(root);
else startApp(root);
